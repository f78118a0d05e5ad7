/// A message sequence number or UID in a set, where `*` is the largest in use (RFC 3501 §9
/// `seq-number`).
public enum IMAPSequenceNumber: Sendable, Hashable {
    case number(UInt32)
    case last
}

/// One element of a sequence set: a single number is a range with equal bounds. The bounds
/// are kept in the client's order (`4:2` is the same as `2:4`).
public struct IMAPSequenceRange: Sendable, Hashable {
    public var first: IMAPSequenceNumber
    public var second: IMAPSequenceNumber

    public init(_ first: IMAPSequenceNumber, _ second: IMAPSequenceNumber) {
        self.first = first
        self.second = second
    }

    public init(_ single: IMAPSequenceNumber) {
        self.init(single, single)
    }
}

/// RFC 3501 §9 `sequence-set`, as sent (not normalised).
public struct IMAPSequenceSet: Sendable, Hashable {
    public var ranges: [IMAPSequenceRange]
    /// RFC 5182 `$`: the result the last `SEARCH RETURN (SAVE)` saved; `ranges` is empty until the
    /// session puts that result in its place.
    public var isSavedResult = false

    public init(_ ranges: [IMAPSequenceRange]) {
        self.ranges = ranges
    }

    /// `$` (RFC 5182 §4: `seq-last-command`).
    public static let savedResult: IMAPSequenceSet = {
        var set = IMAPSequenceSet([])
        set.isSavedResult = true
        return set
    }()
}
