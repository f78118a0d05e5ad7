import MailStore

/// The message data the SEARCH evaluator reads besides the content.
public struct IMAPSearchMessage: Sendable {
    public var sequenceNumber: UInt32
    public var uid: UInt32
    /// System flags by name without backslash, lowercased: "seen", "answered", "flagged", "deleted", "draft",
    /// "recent".
    public var systemFlags: Set<String>
    /// Keywords as stored (compared case-insensitively).
    public var keywords: [String]
    /// Seconds since 1970.
    public var internalDate: Int64
    /// RFC822.SIZE (CRLF).
    public var virtualSize: Int
    /// RFC 7162 mod-sequence of the message's last change.
    public var modSeq: UInt64
    /// RFC 8474 EMAILID.
    public var emailID: EmailID?

    public init(
        sequenceNumber: UInt32, uid: UInt32, systemFlags: Set<String>, keywords: [String], internalDate: Int64,
        virtualSize: Int, modSeq: UInt64 = 0, emailID: EmailID? = nil
    ) {
        self.modSeq = modSeq
        self.emailID = emailID
        self.sequenceNumber = sequenceNumber
        self.uid = uid
        self.systemFlags = systemFlags
        self.keywords = keywords
        self.internalDate = internalDate
        self.virtualSize = virtualSize
    }
}
