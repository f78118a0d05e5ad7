import LineProtocol
import NIOCore

/// What SMTP submission needs from the rest of the server. `LoftServer` implements it with
/// `Auth` and the delivery spool; tests use an in-memory one. Methods marked blocking are
/// always called on a thread pool, never on an event loop.
public protocol SMTPBackend: Sendable {
    /// Blocking (password hashing). Also records the outcome for the failure penalty.
    func authenticate(username: String, password: String, clientIP: String) -> SMTPAuthResult
    /// How long to wait before checking this address's next login attempt. Non-blocking.
    func failureDelay(clientIP: String) -> Duration
    /// Blocking. May `login` use `address` as envelope sender (its own address or an alias
    /// mapping to it)? A thrown error counts as `.unavailable` (a temporary failure).
    func checkSender(_ address: String, login: String) throws -> SMTPSenderCheck
    /// Blocking. What RCPT TO should answer for this address.
    func checkRecipient(_ address: String) -> SMTPRecipientCheck
    /// Blocking. As `checkRecipient(_:)`, knowing the message size `MAIL FROM` declared with `SIZE=`
    /// (RFC 1870), if any, so a mailbox that cannot take it is refused now (the default ignores it).
    func checkRecipient(_ address: String, declaredSize: Int?) -> SMTPRecipientCheck
    /// Blocking. Starts storing one accepted message (after DATA or the first BDAT is accepted).
    func beginMessage(_ envelope: SMTPEnvelope) throws -> any SMTPMessageWriter
}

extension SMTPBackend {
    public func checkRecipient(_ address: String, declaredSize: Int?) -> SMTPRecipientCheck {
        checkRecipient(address)
    }
}

public typealias SMTPAuthResult = LoginResult

/// The backend's answer for one RCPT TO address.
public enum SMTPRecipientCheck: Sendable, Equatable {
    /// A local user: `250 2.1.5`.
    case local
    /// Another domain, relayed through the spool: `250 2.1.5` (the client is authenticated).
    case remote
    /// No such local user: `550 5.1.1`.
    case unknownLocal
    /// Cannot take mail for it now (e.g. its Maildir is not writable): `450 4.2.1` with this
    /// text, which the client sees, so it must not hold secrets.
    case unavailable(String)
    /// The local mailbox is over its quota, or the declared size would take it over: `552 5.2.2`
    /// (RFC 3463 §3.3: mailbox full).
    case mailboxFull
}

/// Thrown by `SMTPMessageWriter.commit` when the message is refused for good and nothing was stored
/// (e.g. every recipient's mailbox is full): the client gets this reply instead of `451`.
public struct SMTPStorageRefusal: Error, Sendable, Equatable {
    public var reply: SMTPReply

    public init(_ reply: SMTPReply) {
        self.reply = reply
    }
}

/// Storage for one message being received. Calls come one at a time, in order, on a thread
/// pool: `write` any number of times, then exactly one of `commit` or `abort`.
public protocol SMTPMessageWriter: AnyObject, Sendable {
    /// Blocking. The next bytes of the message as stored: CRLF lines, dot-unstuffed, Loft's
    /// added headers (`Received:`, and `Message-ID:`/`Date:` when missing) first.
    func write(_ bytes: ByteBuffer) throws
    /// Blocking. Returns only when every copy is durable; only then does the client get `250`.
    func commit() throws
    /// Nothing of the message becomes visible.
    func abort()
}
