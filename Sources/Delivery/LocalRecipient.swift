/// A recipient delivered into a local Maildir. The caller resolves the user (aliases, user database,
/// `MaildirLocator`); delivery only needs where the Maildir is.
public struct LocalRecipient: Sendable, Equatable {
    /// The address as accepted, for logs.
    public var address: String
    /// The INBOX Maildir root of the user; created on first delivery if missing.
    public var maildirPath: String

    public init(address: String, maildirPath: String) {
        self.address = address
        self.maildirPath = maildirPath
    }
}
