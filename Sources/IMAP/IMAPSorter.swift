/// RFC 5256 §3 SORT over extracted keys. Pure.
///
/// Keys compare in the order given, REVERSE turning only its own key around; messages equal in
/// every key keep mailbox order (ascending sequence number, never reversed). Strings compare as
/// "i;ascii-casemap" (already case-mapped in `IMAPSortKeys`), an absent value as the empty string.
public enum IMAPSorter {
    /// The sequence numbers of `messages` in sort order. Sorts positions, not the keys themselves
    /// (each holds several arrays: moving them costs reference counting on 100,000 messages).
    public static func order(_ messages: [IMAPSortKeys], by criteria: [IMAPSortCriterion]) -> [UInt32] {
        messages.withUnsafeBufferPointer { keys in
            var positions = Array(keys.indices)
            positions.sort { precedes(keys[$0], keys[$1], criteria) }
            return positions.map { keys[$0].sequenceNumber }
        }
    }

    static func precedes(_ a: IMAPSortKeys, _ b: IMAPSortKeys, _ criteria: [IMAPSortCriterion]) -> Bool {
        for criterion in criteria {
            var order = compare(a, b, criterion.key)
            if criterion.reverse { order = -order }
            if order != 0 { return order < 0 }
        }
        return a.sequenceNumber < b.sequenceNumber
    }

    /// -1, 0 or 1.
    static func compare(_ a: IMAPSortKeys, _ b: IMAPSortKeys, _ key: IMAPSortKey) -> Int {
        switch key {
        case .arrival: compare(a.internalDate, b.internalDate)
        case .date: compare(a.sentDate, b.sentDate)
        case .size: compare(a.size, b.size)
        case .subject: compare(a.baseSubject, b.baseSubject)
        case .from: compare(a.from, b.from)
        case .to: compare(a.to, b.to)
        case .cc: compare(a.cc, b.cc)
        case .displayFrom: compare(a.displayFrom, b.displayFrom)
        case .displayTo: compare(a.displayTo, b.displayTo)
        }
    }

    static func compare<T: Comparable>(_ a: T, _ b: T) -> Int {
        a < b ? -1 : (a == b ? 0 : 1)
    }

    /// Byte order; a prefix comes first.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let count = min(a.count, b.count)
        var i = 0
        while i < count {
            if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
            i += 1
        }
        return compare(a.count, b.count)
    }

    /// RFC 5256 §2.2: by sent date, ties by sequence number (THREAD orders siblings this way).
    static func bySentDate(_ a: IMAPSortKeys, _ b: IMAPSortKeys) -> Bool {
        a.sentDate != b.sentDate ? a.sentDate < b.sentDate : a.sequenceNumber < b.sequenceNumber
    }
}
