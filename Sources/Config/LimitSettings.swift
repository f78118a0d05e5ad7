/// The `[limits]` section: server-wide limits that belong to no single protocol.
public struct LimitSettings: Sendable, Equatable {
    /// Default for `shutdown_grace`.
    public static let defaultShutdownGrace = Duration.seconds(10)

    /// On a graceful shutdown, sessions get this long to finish before they are force-closed.
    public var shutdownGrace: Duration
    /// Client connections open at once, over all listeners (`max_connections`).
    public var maxConnections = 5000
    /// Client connections open at once from one IP address (`max_connections_per_ip`).
    public var maxConnectionsPerIP = 100
    /// Logged-in sessions of one user from one IP address, over all protocols
    /// (`max_sessions_per_user_ip`; Dovecot's `mail_max_userip_connections`).
    public var maxSessionsPerUserIP = 10
    /// Time a connection gets from connect to a successful login (`login_timeout`), separate
    /// from each protocol's idle timeout after login.
    public var loginTimeout: Duration = .seconds(120)
    /// Time a connection to a PROXY-protocol listener gets to send its header (`proxy_header_timeout`);
    /// a load balancer sends it at once.
    public var proxyHeaderTimeout: Duration = .seconds(5)
    /// Threads that check passwords (`auth_threads`): a pool of their own, so a flood of
    /// logins cannot delay message commits on the disk pool.
    public var authThreads = 2
    /// Threads for disk work: Maildir reads, fsync, rename (`disk_threads`).
    public var diskThreads = 8

    /// Accepted range of every count above.
    public static let countRange = 1...1_000_000
    /// Accepted range of the thread counts.
    public static let threadRange = 1...256
    /// Shortest accepted `login_timeout`.
    public static let minimumLoginTimeout = Duration.seconds(1)
    /// Accepted range of `proxy_header_timeout`.
    public static let proxyHeaderTimeoutRange = Duration.milliseconds(100)...Duration.seconds(60)

    public init(shutdownGrace: Duration = LimitSettings.defaultShutdownGrace) {
        self.shutdownGrace = shutdownGrace
    }
}
