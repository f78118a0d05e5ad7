import Config
import LineProtocol
import Metrics
import NIOCore
import TLS

/// One listener's counters: its connections (`loft_connections_total{protocol,tls}`), the TLS handshakes
/// on them (`loft_tls_handshakes_total{protocol,version}`, `loft_tls_handshake_failures_total{protocol}`),
/// and what its sessions count themselves (logins, penalty hits, storage errors).
struct ListenerMetrics: Sendable {
    let connections: Counter
    let sessions: ConnectionMetrics
    private let protocolName: String
    /// TLS 1.2 and 1.3, the versions Loft accepts (RFC 8997), made at once so they show as 0.
    private let handshakesByVersion: [String: Counter]
    private let handshakeFailures: Counter

    init(_ listener: ListenerConfiguration) {
        let name = listener.protocol.rawValue
        protocolName = name
        connections = Counter(label: "loft_connections_total", dimensions: [("protocol", name), ("tls", listener.tls.rawValue)])
        sessions = ConnectionMetrics(protocol: name)
        handshakeFailures = Counter(label: "loft_tls_handshake_failures_total", dimensions: [("protocol", name)])
        var versions: [String: Counter] = [:]
        if listener.tls != .none {
            for version in ["1.2", "1.3"] { versions[version] = Self.handshakes(protocol: name, version: version) }
        }
        handshakesByVersion = versions
    }

    private static func handshakes(protocol name: String, version: String) -> Counter {
        Counter(label: "loft_tls_handshakes_total", dimensions: [("protocol", name), ("version", version)])
    }

    /// "TLSv1.3" (OpenSSL's name) → "1.3".
    static func versionLabel(_ openSSLName: String) -> String {
        openSSLName.hasPrefix("TLSv") ? String(openSSLName.dropFirst(4)) : openSSLName.lowercased()
    }

    func handshakeCompleted(version: String) {
        let label = Self.versionLabel(version)
        (handshakesByVersion[label] ?? Self.handshakes(protocol: protocolName, version: label)).increment()
    }

    func handshakeFailed() {
        handshakeFailures.increment()
    }
}

/// Sits right behind a `TLSServerHandler` (only when metrics are on) and counts how its handshake ended:
/// the completion event carries the version, a failed handshake arrives as a `TLSError`. Passes both on.
final class TLSHandshakeCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let metrics: ListenerMetrics

    init(_ metrics: ListenerMetrics) {
        self.metrics = metrics
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted { metrics.handshakeCompleted(version: completed.info.version) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? TLSError, error.kind == .handshakeFailed { metrics.handshakeFailed() }
        context.fireErrorCaught(error)
    }
}
