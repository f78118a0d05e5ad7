/// The `[delivery]` section: which recipient domains are delivered into local Maildirs, and how the outbound
/// queue retries the rest.
public struct DeliverySettings: Sendable, Equatable {
    /// Default for `queue_lifetime`: 5 days, as Postfix's `maximal_queue_lifetime` (RFC 5321 §4.5.4.1 asks
    /// for at least 4–5 days).
    public static let defaultQueueLifetime = Duration.seconds(5 * 24 * 3600)
    /// Default for `retry_after`: the first retry 5 minutes after a temporary failure.
    public static let defaultRetryAfter = Duration.seconds(300)
    /// Default for `max_retry_interval`: backoff doubles up to about an hour.
    public static let defaultMaxRetryInterval = Duration.seconds(3600)
    /// Default for `destination_concurrency`: connections at once to one destination domain.
    public static let defaultDestinationConcurrency = 4
    /// Allowed `destination_concurrency` values.
    public static let destinationConcurrencyRange = 1...100
    /// Allowed `retry_after` and `max_retry_interval` values (seconds are for test networks).
    public static let retryIntervalRange = Duration.seconds(1)...Duration.seconds(24 * 3600)
    /// Allowed `queue_lifetime` values.
    public static let queueLifetimeRange = Duration.seconds(1)...Duration.seconds(100 * 24 * 3600)

    /// Mail for these domains goes to local Maildirs; everything else goes to the outbound queue.
    /// Lowercased host names, never empty in a loaded configuration (default: `[domain]`).
    public var localDomains: [String]
    /// A message still undelivered this long after arrival is bounced (`queue_lifetime`).
    public var queueLifetime: Duration
    /// The wait after the first temporary failure; it doubles after each further one (`retry_after`).
    public var retryAfter: Duration
    /// The longest wait between two attempts (`max_retry_interval`).
    public var maxRetryInterval: Duration
    /// Connections at once to one destination domain (`destination_concurrency`).
    public var destinationConcurrency: Int
    /// After this long undelivered, senders who asked for delay notices get one (`delay_notice_after`);
    /// nil: never.
    public var delayNoticeAfter: Duration?
    /// The TCP port of MX hosts (`smtp_port`, 25): other values are for test networks only.
    public var smtpPort: Int

    public init(
        localDomains: [String],
        queueLifetime: Duration = DeliverySettings.defaultQueueLifetime,
        retryAfter: Duration = DeliverySettings.defaultRetryAfter,
        maxRetryInterval: Duration = DeliverySettings.defaultMaxRetryInterval,
        destinationConcurrency: Int = DeliverySettings.defaultDestinationConcurrency,
        delayNoticeAfter: Duration? = .seconds(4 * 3600),
        smtpPort: Int = 25
    ) {
        self.localDomains = localDomains
        self.queueLifetime = queueLifetime
        self.retryAfter = retryAfter
        self.maxRetryInterval = maxRetryInterval
        self.destinationConcurrency = destinationConcurrency
        self.delayNoticeAfter = delayNoticeAfter
        self.smtpPort = smtpPort
    }
}
