public import NIOCore

/// How the outbound queue works: retries, limits, routes and TLS policies.
public struct OutboundQueueSettings: Sendable {
    /// This server's name: the EHLO name and the `Reporting-MTA` of its reports.
    public var hostname: String
    /// Where STRIPTLS alerts go (`postmaster@` the main domain).
    public var postmaster: String
    public var schedule: RetrySchedule
    /// After this long undelivered, senders who allow it get one delay notice; nil: never.
    public var delayNoticeAfter: Duration?
    /// Connections at once to one destination domain.
    public var destinationConcurrency: Int
    /// Messages worked on at once.
    public var maximumConcurrentMessages: Int
    public var router: OutboundRouter
    public var tlsPolicies: OutboundTLSPolicyTable
    /// How often the spool directory is looked at again for entries another process (`loft queue`) changed.
    public var scanInterval: Duration
    /// Connect timeout, and the longest wait for any one reply (RFC 5321 §4.5.3.2 asks for 2 to 10 minutes).
    public var timeout: TimeAmount
    /// A bounce returns the whole message only up to this size; beyond it, its header.
    public var maximumReturnedBytes: Int
    /// The DKIM keys that sign (`sign = true`), for messages whose From domain is theirs.
    public var dkimKeys: [DKIMSigningIdentity]

    public init(
        hostname: String, postmaster: String, schedule: RetrySchedule, delayNoticeAfter: Duration?, destinationConcurrency: Int,
        router: OutboundRouter, tlsPolicies: OutboundTLSPolicyTable, maximumConcurrentMessages: Int = 16,
        scanInterval: Duration = .seconds(10), timeout: TimeAmount = .minutes(5), maximumReturnedBytes: Int = 100_000,
        dkimKeys: [DKIMSigningIdentity] = []
    ) {
        self.hostname = hostname
        self.postmaster = postmaster
        self.schedule = schedule
        self.delayNoticeAfter = delayNoticeAfter
        self.destinationConcurrency = destinationConcurrency
        self.maximumConcurrentMessages = maximumConcurrentMessages
        self.router = router
        self.tlsPolicies = tlsPolicies
        self.scanInterval = scanInterval
        self.timeout = timeout
        self.maximumReturnedBytes = maximumReturnedBytes
        self.dkimKeys = dkimKeys
    }
}
