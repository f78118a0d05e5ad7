import LineProtocol

/// What POP3 needs from the rest of the server. `LoftServer` implements it with `Auth` and
/// `MailStore`; tests can use an in-memory one. Methods marked blocking are always called on
/// a thread pool, never on an event loop.
public protocol POP3Backend: Sendable {
    /// Blocking (password hashing). Also records the outcome for the failure penalty.
    func authenticate(username: String, password: String, clientIP: String) -> POP3AuthResult
    /// How long to wait before checking this address's next login attempt. Non-blocking.
    func failureDelay(clientIP: String) -> Duration
    /// Blocking (directory scan). Locks the maildrop for this session (RFC 2449 `IN-USE`).
    func openMaildrop(login: String) throws(POP3MaildropError) -> any POP3Maildrop
}

public typealias POP3AuthResult = LoginResult

public enum POP3MaildropError: Error, Sendable, Equatable {
    /// Another session of the same user holds the maildrop.
    case inUse
    case unavailable(String)
}

/// One message as the maildrop presents it for the session's lifetime.
public struct POP3MessageInfo: Sendable, Equatable {
    /// The UIDL value (RFC 1939 §7): stable across sessions, 1–70 printable characters.
    public var uniqueID: String
    /// The size in octets as transmitted (CRLF line endings, before dot-stuffing).
    public var size: Int

    public init(uniqueID: String, size: Int) {
        self.uniqueID = uniqueID
        self.size = size
    }
}

/// A locked maildrop. `release()` must be called exactly once when the session ends.
public protocol POP3Maildrop: AnyObject, Sendable {
    var messages: [POP3MessageInfo] { get }
    /// Blocking. Opens the message for reading in chunks; `index` is zero-based.
    func openMessage(_ index: Int) throws -> any POP3MessageReader
    /// Blocking. Removes the messages; returns only once the removal is on disk.
    func delete(_ indices: [Int]) throws
    /// Non-blocking. Drops the session's lock.
    func release()
}

/// One stored message open for reading. Blocking; used by one transfer at a time.
public protocol POP3MessageReader: AnyObject, Sendable {
    /// The next bytes as stored, at most `maxBytes`; fewer only at the end of the message.
    func read(upTo maxBytes: Int) throws -> [UInt8]
    /// Closes the file early (also done when the reader is dropped).
    func close()
}
