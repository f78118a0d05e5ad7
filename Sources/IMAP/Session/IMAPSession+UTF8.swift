import MailStore

extension IMAPSession {
    /// Whether mailbox names travel as UTF-8 (after ENABLE IMAP4rev2 or UTF8=ACCEPT) rather than
    /// modified UTF-7.
    var utf8Names: Bool { utf8Accept || imap4rev2 }

    /// The client's mailbox name as a validated Maildir++ name.
    func mailboxName(_ raw: IMAPMailboxName) throws -> MailboxName {
        try IMAPNames.mailbox(raw, utf8: utf8Names)
    }

    /// A mailbox name for this client, as a quoted string.
    func wireName(_ name: MailboxName) -> String {
        IMAPNames.wire(name, utf8: utf8Names)
    }

    /// A LIST or LSUB pattern as this client means it; nil when it is not a valid name text.
    func namePattern(reference: IMAPMailboxName, _ pattern: [UInt8]) -> IMAPNamePattern? {
        IMAPNames.pattern(reference: reference, pattern, utf8: utf8Names)
    }
}
