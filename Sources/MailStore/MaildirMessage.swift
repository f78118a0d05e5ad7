/// One message of a Maildir as seen by the last `Maildir.synchronize()`.
///
/// The descriptor stays usable after another client renames the file (flag change): `Maildir.read` and
/// `Maildir.delete` find the file again by its `uniqueName`.
public struct MaildirMessage: Sendable, Equatable {
    /// The IMAP UID from `dovecot-uidlist`; stable across restarts, never reused.
    public let uid: UInt32
    /// Where the file was found.
    public let directory: MaildirDirectory
    /// The file name inside `directory`, info part included (`<unique>:2,S`).
    public let fileName: String
    /// The file name without the info part; what `dovecot-uidlist` records. Never changes.
    public let uniqueName: String
    /// The size on disk in bytes.
    public let size: Int
    /// The size with every bare LF counted as CRLF: POP3 LIST/STAT (RFC 1939 section 5) and
    /// IMAP RFC822.SIZE (RFC 3501 section 2.3.4).
    public let virtualSize: Int
    /// The standard flags from the `:2,` info part.
    public let flags: Set<MaildirFlag>
    /// The keyword letters `a`–`z` from the `:2,` info part, in ASCII order; `Maildir.readKeywords()` names them.
    public let keywordLetters: [Character]
    /// RFC 8474 EMAILID (see `EmailID`).
    public let emailID: EmailID

    public init(uid: UInt32, directory: MaildirDirectory, fileName: String, size: Int, virtualSize: Int,
                emailID: EmailID) {
        let parsed = MaildirFileName(fileName)
        self.uid = uid
        self.directory = directory
        self.fileName = fileName
        self.uniqueName = parsed.uniqueName
        self.size = size
        self.virtualSize = virtualSize
        self.flags = parsed.flags
        self.keywordLetters = parsed.keywordLetters
        self.emailID = emailID
    }

    /// The path relative to the Maildir root, e.g. `cur/1700000000.M1P2Q3.host,S=10,W=11:2,S`.
    public var relativePath: String {
        directory.rawValue + "/" + fileName
    }
}
