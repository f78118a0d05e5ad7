/// One message's metadata, as the session knows it: what FETCH renders without opening the message.
public struct IMAPMessageMetadata: Sendable {
    public var sequenceNumber: UInt32
    public var uid: UInt32
    /// Wire flags in order: system flags as `\Seen` etc., `\Recent` when recent, then keywords.
    public var flags: [String]
    /// Seconds since 1970.
    public var internalDate: Int64
    /// RFC822.SIZE: the size with every line ending CRLF (RFC 3501 §2.3.4).
    public var virtualSize: Int
    /// RFC 7162 mod-sequence of the message's last change.
    public var modSeq: UInt64
    /// RFC 8474 EMAILID.
    public var emailID: String

    public init(sequenceNumber: UInt32, uid: UInt32, flags: [String], internalDate: Int64, virtualSize: Int,
                modSeq: UInt64 = 0, emailID: String = "") {
        self.modSeq = modSeq
        self.emailID = emailID
        self.sequenceNumber = sequenceNumber
        self.uid = uid
        self.flags = flags
        self.internalDate = internalDate
        self.virtualSize = virtualSize
    }
}
