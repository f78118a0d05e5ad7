/// The `[metrics]` section: where the Prometheus endpoint (`GET /metrics`) listens. Without the section
/// there is no endpoint; with it, `listen` defaults to loopback (`127.0.0.1:9465`).
public struct MetricsSettings: Sendable, Equatable {
    /// Default for `listen`: loopback only, so the counters are not published to the network by accident.
    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 9465)

    /// The HTTP listener of the endpoint (`listen`).
    public var listen: ListenAddress

    public init(listen: ListenAddress = Self.defaultListen) {
        self.listen = listen
    }
}
