/// Where mail for a remote domain goes next.
public enum OutboundRoute: Sendable, Equatable {
    /// The domain's MX hosts (or its address when it has none, RFC 5321 §5.1), on `port`.
    case mx(port: Int)
    /// A smarthost: TLS is always required and verified against `relay.host`.
    case relay(Relay)

    var isMX: Bool {
        if case .mx = self { true } else { false }
    }

    /// A smarthost from the configuration.
    public struct Relay: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// TLS from the first byte (port 465, RFC 8314) rather than STARTTLS.
        public var implicitTLS: Bool
        public var credentials: ClientCredentials?

        public init(host: String, port: Int, implicitTLS: Bool, credentials: ClientCredentials?) {
            self.host = host
            self.port = port
            self.implicitTLS = implicitTLS
            self.credentials = credentials
        }
    }
}

/// Picks the route for a recipient domain: a relay listing the domain, else a relay listing `*`, else MX.
public struct OutboundRouter: Sendable {
    private let relays: [String: OutboundRoute.Relay]
    private let smtpPort: Int

    /// - Parameter relays: relays by lowercased domain, `*` for every domain not listed.
    public init(relays: [String: OutboundRoute.Relay], smtpPort: Int) {
        self.relays = relays
        self.smtpPort = smtpPort
    }

    public func route(for domain: String) -> OutboundRoute {
        if let relay = relays[domain.lowercased()] ?? relays["*"] { return .relay(relay) }
        return .mx(port: smtpPort)
    }
}
