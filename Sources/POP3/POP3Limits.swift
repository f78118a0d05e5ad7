import LineProtocol

/// Every POP3 limit with its default, in one place; `LoftServer` fills them from `[pop3]`.
public struct POP3Limits: Sendable, Equatable {
    /// Bytes of one command line including CRLF. RFC 2449 §4 allows lines of 255 octets.
    public var maxLineLength = 512
    /// RFC 1939 §3: the autologout timer is at least 10 minutes.
    public var idleTimeout: Duration = .seconds(600)
    /// Time from connect to a successful login; then the connection is closed.
    public var loginTimeout: Duration? = .seconds(120)
    /// Failed logins on one connection before it is closed.
    public var maxAuthFailures = 3
    /// Bytes of pipelined input held while a command is being served; at this much, reading
    /// pauses until the session catches up.
    public var maxBufferedInput = 64 * 1024

    public init() {}
}

extension POP3Limits {
    /// The part of these limits the shared connection skeleton enforces.
    var connection: ConnectionLimits {
        ConnectionLimits(maxBufferedInput: maxBufferedInput, idleTimeout: idleTimeout, loginTimeout: loginTimeout)
    }
}
