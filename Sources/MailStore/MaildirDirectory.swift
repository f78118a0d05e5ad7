/// The two Maildir directories that hold delivered messages.
public enum MaildirDirectory: String, Sendable, CaseIterable {
    /// `new/`: delivered, not yet seen by any mail client.
    case new
    /// `cur/`: seen by a mail client at least once; flags live in the file name.
    case cur
}
