import ACME
import Delivery
import CoreMetrics
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `[metrics]`: the HTTP listener that serves `GET /metrics`, on the server's event loop group. The
/// counters count where their events happen; the queue gauges are read from the outbound queue at each
/// scrape, so the oldest entry's age is never stale.
struct MetricsEndpoint: Sendable {
    /// How long a scraper's idle keep-alive connection stays open.
    static let idleTimeout = TimeAmount.seconds(60)

    private let registry: PrometheusCollectorRegistry
    private let outbound: OutboundQueue
    // swift-metrics' gauges (Prometheus has a `Gauge` of its own).
    private let queueEntries: CoreMetrics.Gauge
    private let queueOldestAge: CoreMetrics.Gauge
    /// With `[tls.acme]`: the ACME certificate's expiry, and a gauge of the seconds left (0 while there is none).
    private let acme: (status: ACMECertificateStatus, secondsLeft: CoreMetrics.Gauge)?

    init(outbound: OutboundQueue, acme: ACMECertificateStatus? = nil) {
        registry = PrometheusBootstrap.registry  // first: the gauges below are made on it
        self.outbound = outbound
        queueEntries = CoreMetrics.Gauge(label: "loft_queue_entries")
        queueOldestAge = CoreMetrics.Gauge(label: "loft_queue_oldest_age_seconds")
        self.acme = acme.map { ($0, CoreMetrics.Gauge(label: "loft_acme_certificate_expiry_seconds")) }
    }

    /// The whole exposition text, with the queue gauges read now.
    func render() async -> [UInt8] {
        let queue = await outbound.contents()
        queueEntries.record(queue.entries)
        queueOldestAge.record(queue.oldestArrival.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
        if let acme { acme.secondsLeft.record(acme.status.currentNotAfter.map { max(0, $0.timeIntervalSinceNow) } ?? 0) }
        return registry.emitToBuffer()
    }

    func bind(host: String, port: Int, group: any EventLoopGroup) throws -> any Channel {
        let endpoint = self
        let render: @Sendable (any EventLoop) -> EventLoopFuture<ByteBuffer> = { eventLoop in
            let promise = eventLoop.makePromise(of: ByteBuffer.self)
            promise.completeWithTask { ByteBuffer(bytes: await endpoint.render()) }
            return promise.futureResult
        }
        return try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(IdleStateHandler(allTimeout: Self.idleTimeout))
                    try pipeline.addHandler(MetricsHTTPHandler(render: render))
                }
            }
            .bind(host: host, port: port)
            .wait()
    }
}
