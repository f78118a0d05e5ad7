/// What changed in a mailbox, published to every observer (including the session that made the change;
/// `origin` is the token that session passed, nil for changes found on disk or made by POP3/delivery).
public struct MailboxChange: Sendable {
    public enum Kind: Sendable {
        case appended([MessageRecord])
        case flagsChanged([MessageRecord])
        case expunged([UInt32])
    }

    public let kind: Kind
    public let origin: UInt64?
    /// The mailbox's HIGHESTMODSEQ right after this change.
    public let highestModSeq: UInt64

    public init(kind: Kind, origin: UInt64?, highestModSeq: UInt64) {
        self.kind = kind
        self.origin = origin
        self.highestModSeq = highestModSeq
    }
}
