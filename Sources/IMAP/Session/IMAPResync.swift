/// The QRESYNC parameter of SELECT and EXAMINE (RFC 7162 §3.2.5):
/// `QRESYNC (uidvalidity mod-sequence [known-uids [(seq-match-data)]])`.
/// The sequence match data only lets a server narrow its answer; Loft answers without it.
struct IMAPResync {
    var uidValidity: UInt32
    var modSeq: UInt64
    var knownUIDs: IMAPSequenceSet?

    init?(_ values: [IMAPTaggedValue]) {
        guard (2...4).contains(values.count),
              let uidValidity = Self.text(values[0]).flatMap({ UInt32($0) }), uidValidity > 0,
              let modSeq = Self.text(values[1]).flatMap({ UInt64($0) }), modSeq > 0
        else { return nil }
        self.uidValidity = uidValidity
        self.modSeq = modSeq
        if values.count >= 3 {
            guard let text = Self.text(values[2]), let set = IMAPSequenceSet(text: text) else { return nil }
            knownUIDs = set
        }
        if values.count == 4 {
            guard case .list(let match) = values[3], match.count == 2,
                  match.allSatisfy({ Self.text($0).flatMap { IMAPSequenceSet(text: $0) } != nil }) else { return nil }
        }
    }

    private static func text(_ value: IMAPTaggedValue) -> String? {
        switch value {
        case .simple(let text): text
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .list: nil
        }
    }
}
