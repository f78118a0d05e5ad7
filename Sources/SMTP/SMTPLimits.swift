import LineProtocol

/// Every SMTP submission limit with its default, in one place; `LoftServer` fills them from
/// the configuration.
public struct SMTPLimits: Sendable, Equatable {
    /// Largest message accepted, in octets as received (after dot-unstuffing, before Loft's
    /// added headers). Advertised as `SIZE` in the EHLO reply (RFC 1870 §4).
    public var maxMessageSize = 50 * 1024 * 1024
    /// Recipients of one transaction; RFC 5321 §4.5.3.1.8 asks for at least 100.
    public var maxRecipients = 100
    /// Octets of one command line including CRLF. RFC 5321 §4.5.3.1.4 sets 512, and
    /// extensions (RFC 3461 DSN parameters, RFC 4954 AUTH initial responses) need more, so the
    /// default is 2048.
    public var maxCommandLineLength = 2048
    /// Octets of one line of message text including CRLF (RFC 5321 §4.5.3.1.6). A longer line
    /// gets the whole message rejected at its end; it is never cut.
    public var maxTextLineLength = 1000
    /// RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command.
    public var idleTimeout: Duration = .seconds(300)
    /// Time from connect to a successful AUTH; then the connection is closed.
    public var loginTimeout: Duration? = .seconds(120)
    /// After a message is refused for its size, the rest of its DATA is read and thrown away
    /// (so the client reads the refusal) for at most this long ...
    public var discardTimeout: Duration = .seconds(60)
    /// ... and at most this many octets past `maxMessageSize`; then the connection is closed.
    public var maxDiscardedContent = 50 * 1024 * 1024
    /// Octets of the header block held back to look for `Message-ID:` and `Date:`.
    public var maxHeaderBytes = 256 * 1024
    /// Failed authentications on one connection before it is closed.
    public var maxAuthFailures = 3
    /// Octets of pipelined input held while a command waits for a result (a password check,
    /// a recipient check, a commit); at this much, reading pauses until the session catches up.
    public var maxBufferedInput = 256 * 1024
    /// Octets of message content received but not yet written to disk; above this the
    /// connection stops reading until the writes catch up (backpressure, not a rejection).
    public var maxBufferedContent = 1024 * 1024

    public init() {}
}

extension SMTPLimits {
    /// The part of these limits the shared connection skeleton enforces.
    var connection: ConnectionLimits {
        ConnectionLimits(maxBufferedInput: maxBufferedInput, idleTimeout: idleTimeout, loginTimeout: loginTimeout)
    }
}
