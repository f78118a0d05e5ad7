/// The `[submission]` section: limits of the SMTP submission service, shared by every submission listener.
public struct SubmissionSettings: Sendable, Equatable {
    /// Default for `max_message_size`: 50 MiB, advertised in the EHLO `SIZE` keyword (RFC 1870 §4).
    public static let defaultMaxMessageSize = 50 * 1024 * 1024
    /// The smallest `max_message_size` a configuration file may set: RFC 5321 §4.5.3.1.7 requires
    /// accepting messages of at least 64K octets.
    public static let minimumMaxMessageSize = 64 * 1024
    /// Default for `max_recipients`.
    public static let defaultMaxRecipients = 100
    /// Allowed `max_recipients` values: RFC 5321 §4.5.3.1.8 requires buffering at least 100 recipients;
    /// the upper bound keeps one transaction from growing without end.
    public static let maxRecipientsRange = 100...100_000
    /// Default for `idle_timeout`: RFC 5321 §4.5.3.2.7 asks for at least 5 minutes.
    public static let defaultIdleTimeout = Duration.seconds(300)
    /// The smallest `idle_timeout` a configuration file may set (RFC 5321 §4.5.3.2.7).
    public static let minimumIdleTimeout = Duration.seconds(300)

    /// Largest message accepted, in bytes.
    public var maxMessageSize: Int
    /// Most `RCPT TO` accepted in one transaction.
    public var maxRecipients: Int
    /// The aliases file (`alias@domain: user[, user...]` per line), absolute once loaded; nil for none.
    public var aliasesFile: String?
    /// A session is closed after this long without a command.
    public var idleTimeout: Duration

    public init(
        maxMessageSize: Int = SubmissionSettings.defaultMaxMessageSize,
        maxRecipients: Int = SubmissionSettings.defaultMaxRecipients,
        aliasesFile: String? = nil,
        idleTimeout: Duration = SubmissionSettings.defaultIdleTimeout
    ) {
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.aliasesFile = aliasesFile
        self.idleTimeout = idleTimeout
    }
}
