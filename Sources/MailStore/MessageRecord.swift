/// One message in a mailbox's index. A small value type: 100,000 of these are held in memory once per
/// open mailbox (shared by every session through copy-on-write).
public struct MessageRecord: Sendable, Equatable {
    public let uid: UInt32
    public var flags: MessageFlags
    /// Bit i set = keyword with dovecot-keywords letter "a"+i (see `MailboxState.keywordNames`).
    public var keywordBits: UInt32
    /// The modseq of this message's last change (append or flag change); RFC 7162 semantics, > 0.
    public var modSeq: UInt64
    /// INTERNALDATE, seconds since 1970: the file's mtime (APPEND sets it from the client's date), as
    /// Dovecot does.
    public let internalDate: Int64
    /// Bytes on disk.
    public let size: Int
    /// RFC822.SIZE: size with every line ending counted as CRLF (Maildir files usually use LF).
    public let virtualSize: Int
    /// RFC 8474 EMAILID: the same after a restart, a MOVE or a COPY.
    public internal(set) var emailID: EmailID

    public init(uid: UInt32, flags: MessageFlags, keywordBits: UInt32, modSeq: UInt64, internalDate: Int64,
                size: Int, virtualSize: Int, emailID: EmailID) {
        self.uid = uid
        self.flags = flags
        self.keywordBits = keywordBits
        self.modSeq = modSeq
        self.internalDate = internalDate
        self.size = size
        self.virtualSize = virtualSize
        self.emailID = emailID
    }
}
