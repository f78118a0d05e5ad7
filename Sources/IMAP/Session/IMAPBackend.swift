import LineProtocol
import MailStore

/// What IMAP needs from the rest of the server: logins and each user's mailboxes. `LoftServer`
/// implements it with `Auth` and `MailStore`. Methods marked blocking are always called on a
/// thread pool, never on an event loop.
public protocol IMAPBackend: Sendable {
    /// Blocking (password hashing). Also records the outcome for the failure penalty.
    func authenticate(username: String, password: String, clientIP: String) -> LoginResult
    /// How long to wait before checking this address's next login attempt. Non-blocking.
    func failureDelay(clientIP: String) -> Duration
    /// Blocking. The logged-in user's mailboxes (creates the Maildir and default folders on
    /// first use).
    func openAccount(login: String) throws -> IMAPAccount
}
