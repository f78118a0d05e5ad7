/// The `[imap]` section: limits of the IMAP service, shared by every IMAP listener.
public struct IMAPSettings: Sendable, Equatable {
    /// RFC 3501 §5.4: the autologout timer is at least 30 minutes.
    public static let minimumIdleTimeout = Duration.seconds(30 * 60)
    public static let defaultIdleTimeout = minimumIdleTimeout
    /// How often an idling client hears `* OK Still here` (Dovecot's default, 2 minutes).
    public static let defaultIdleKeepalive = Duration.seconds(120)
    /// Keepalives must come before the autologout timer, and not flood.
    public static let idleKeepaliveRange = Duration.seconds(10)...Duration.seconds(29 * 60)

    public var idleTimeout: Duration
    public var idleKeepalive: Duration

    public init(idleTimeout: Duration = IMAPSettings.defaultIdleTimeout,
                idleKeepalive: Duration = IMAPSettings.defaultIdleKeepalive) {
        self.idleTimeout = idleTimeout
        self.idleKeepalive = idleKeepalive
    }
}
