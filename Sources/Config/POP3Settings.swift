/// The `[pop3]` section: limits of the POP3 service, shared by every POP3 listener.
public struct POP3Settings: Sendable, Equatable {
    /// Default for `idle_timeout`: RFC 1939 §3 requires an autologout timer of at least 10 minutes.
    public static let defaultIdleTimeout = Duration.seconds(600)
    /// The smallest `idle_timeout` a configuration file may set (RFC 1939 §3).
    public static let minimumIdleTimeout = Duration.seconds(600)
    /// Default for `max_line_length`: bytes of one command line including CRLF.
    public static let defaultMaxLineLength = 512
    /// Allowed `max_line_length` values: RFC 2449 §4 lets a command line reach 255 octets; the
    /// upper bound keeps one client from making the server buffer a lot.
    public static let maxLineLengthRange = 255...65536

    public var idleTimeout: Duration
    /// Bytes of one command line including CRLF; a longer line is refused.
    public var maxLineLength: Int

    public init(
        idleTimeout: Duration = POP3Settings.defaultIdleTimeout,
        maxLineLength: Int = POP3Settings.defaultMaxLineLength
    ) {
        self.idleTimeout = idleTimeout
        self.maxLineLength = maxLineLength
    }
}
