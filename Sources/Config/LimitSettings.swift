/// The `[limits]` section: server-wide limits that belong to no single protocol.
public struct LimitSettings: Sendable, Equatable {
    /// Default for `shutdown_grace`.
    public static let defaultShutdownGrace = Duration.seconds(10)

    /// On a graceful shutdown, sessions get this long to finish before they are force-closed.
    public var shutdownGrace: Duration

    public init(shutdownGrace: Duration = LimitSettings.defaultShutdownGrace) {
        self.shutdownGrace = shutdownGrace
    }
}
