/// The state of a Maildir after `Maildir.synchronize()`.
public struct MaildirSnapshot: Sendable, Equatable {
    /// IMAP UIDVALIDITY (RFC 3501 section 2.3.1.1), set once when `dovecot-uidlist` was created.
    public let uidValidity: UInt32
    /// The UID the next new message will get (IMAP UIDNEXT).
    public let nextUID: UInt32
    /// The mailbox GUID from the uidlist header, 32 lowercase hex digits.
    public let mailboxGUID: String
    /// Every message, sorted by UID ascending.
    public let messages: [MaildirMessage]

    public init(uidValidity: UInt32, nextUID: UInt32, mailboxGUID: String, messages: [MaildirMessage]) {
        self.uidValidity = uidValidity
        self.nextUID = nextUID
        self.mailboxGUID = mailboxGUID
        self.messages = messages
    }
}
