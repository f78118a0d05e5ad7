import DNS
import Delivery
import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix
import Synchronization
import TLS
import TestSupport
import Testing

/// The STRIPTLS downgrade memory, in a real queue with an injected clock: real nsd, real MX servers with
/// STARTTLS certificates from a private CA, real TLS; only the clock and the report sink are the test's.
@Suite(.serialized) struct DowngradeMemoryTests {
    /// Collects what the queue logs, to find the STRIPTLS alert.
    final class LogLines: @unchecked Sendable {
        let lines = Mutex<[String]>([])
        func contains(_ parts: String...) -> Bool {
            lines.withLock { $0.contains { line in parts.allSatisfy { line.contains($0) } } }
        }
    }

    struct CapturingLogHandler: LogHandler {
        let sink: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
        }
    }

    /// The reports the queue hands over (bounces, the postmaster's STRIPTLS notice).
    final class Reports: DeliveryReportSink, @unchecked Sendable {
        let received = Mutex<[(to: String, text: String)]>([])
        func deliverReport(_ message: [UInt8], to recipient: String) throws {
            received.withLock { $0.append((recipient, String(decoding: message, as: UTF8.self))) }
        }
    }

    @Test("two verified deliveries a day apart pin the domain; then an MX without STARTTLS is skipped with a STRIPTLS alert, the next MX gets the mail")
    func stripTLSAfterPinning() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let certificate = try ca.issue(dnsNames: ["mx1.pin.test", "mx2.pin.test"])
        let port = try TestMX.freePort()
        let dns = try TestDNSServer(zones: [
            TestDNSZone(origin: "pin.test", records: ["@ IN MX 10 mx1", "@ IN MX 20 mx2", "mx1 IN A 127.0.0.8", "mx2 IN A 127.0.0.9"], signed: false),
        ])
        defer { dns.stop() }
        var withTLS = TestMX.Behaviour()
        withTLS.certificate = (certificate.chainPath, certificate.privateKeyPath)
        var mx1 = try TestMX(host: "127.0.0.8", port: port, behaviour: withTLS)
        defer { mx1.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-memory-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let spool = try Spool(dataDirectory: directory)
        let delivery = try SubmissionDelivery(
            dataDirectory: directory, locator: MaildirLocator(dataDirectory: directory), spool: spool)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let logLines = LogLines()
        let reports = Reports()
        let queue = OutboundQueue(
            spool: spool,
            settings: OutboundQueueSettings(
                hostname: "mail.example.org", postmaster: "postmaster@example.org",
                schedule: RetrySchedule(first: .seconds(3600), maximum: .seconds(3600), lifetime: .seconds(5 * 86400)),
                delayNoticeAfter: nil, destinationConcurrency: 2,
                router: OutboundRouter(relays: [:], smtpPort: port), tlsPolicies: OutboundTLSPolicyTable(),
                scanInterval: .seconds(3600), timeout: .seconds(20)),
            resolver: try DNSResolver(configuration: DNSResolverConfiguration(
                forwarders: [dns.forwarder], transparentZones: ["pin.test."])),
            tlsContext: try TLSClientContext(configuration: TLSClientConfiguration(
                useSystemTrustStore: false, extraTrustAnchorsFile: ca.certificatePath)),
            group: group, threadPool: pool, reports: reports,
            logger: Logger(label: "test") { _ in CapturingLogHandler(sink: logLines) },
            clock: { now.withLock { $0 } })
        await queue.start()

        func send(_ subject: String) throws {
            let transaction = try delivery.begin(DeliveryEnvelope(
                sender: "alice@example.org", remoteRecipients: [RemoteRecipient(address: "bob@pin.test")],
                arrival: now.withLock { $0 }))
            try transaction.write(Array("Subject: \(subject)\r\n\r\nbody\r\n".utf8))
            _ = try transaction.commit()
            queue.wake()
        }
        func waitForEmptyQueue() async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while try !spool.entries().isEmpty {
                try #require(ContinuousClock.now < deadline, "\(logLines.lines.withLock { $0 })")
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        try send("first")
        try await waitForEmptyQueue()
        now.withLock { $0 += 25 * 3600 }  // a day later
        try send("second")
        try await waitForEmptyQueue()
        #expect(mx1.received().count == 2)
        let memory = try TLSMemoryStore(directory: spool.directory).load()
        #expect(memory.domains["pin.test"]?.best == .verified && memory.domains["pin.test"]?.isPinned == true)
        #expect(memory.hosts["mx1.pin.test"]?.isPinned == true)

        // mx1 loses STARTTLS (as if stripped on the way); mx2 still has it.
        mx1.stop()
        mx1 = try TestMX(host: "127.0.0.8", port: port, behaviour: TestMX.Behaviour())
        let mx2 = try TestMX(host: "127.0.0.9", port: port, behaviour: withTLS)
        defer { mx2.stop() }
        now.withLock { $0 += 3600 }
        try send("third")
        try await waitForEmptyQueue()
        #expect(mx1.received().isEmpty, "nothing went to the downgraded MX in plaintext")
        #expect(mx2.received().count == 1 && mx2.received().first?.envelope.tls != nil)
        #expect(logLines.contains("STRIPTLS alert", "mx=mx1.pin.test", "domain=pin.test", "now=plain"),
                "\(logLines.lines.withLock { $0 })")
        let notices = reports.received.withLock { $0 }
        #expect(notices.count == 1 && notices.first?.to == "postmaster@example.org")
        #expect(notices.first?.text.contains("loft tls-memory forget mx1.pin.test") == true)

        // Told once: the next downgrade of the same host sends no second notice.
        try send("fourth")
        try await waitForEmptyQueue()
        #expect(reports.received.withLock { $0.count } == 1)
        await queue.stop()
        try await pool.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}
