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

/// The queue in-process with an injected clock, for what takes days: the STRIPTLS downgrade memory and
/// the daily TLS-RPT reports. Real nsd, real MX servers with STARTTLS certificates from a private CA, real
/// TLS; only the clock and the report sink are the test's.
@Suite(.serialized) struct QueueClockTests {
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

    /// A queue over a temporary spool, resolving through `dns`, trusting `ca`, with a clock the test moves.
    /// The queue's clock, moved by the test.
    final class ManualClock: Sendable {
        private let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func read() -> Date { date.withLock { $0 } }
        func advance(by seconds: TimeInterval) { date.withLock { $0 += seconds } }
    }

    final class Rig: @unchecked Sendable {
        let now = ManualClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-queue-\(UUID().uuidString)").path
        let spool: Spool
        let delivery: SubmissionDelivery
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 2)
        let logLines = LogLines()
        let reports = Reports()
        let queue: OutboundQueue

        init(dns: TestDNSServer, zones: [String], ca: TestCertificateAuthority, port: Int) throws {
            spool = try Spool(dataDirectory: directory)
            delivery = try SubmissionDelivery(dataDirectory: directory, locator: MaildirLocator(dataDirectory: directory), spool: spool)
            pool.start()
            let (now, logLines) = (self.now, self.logLines)
            queue = OutboundQueue(
                spool: spool,
                settings: OutboundQueueSettings(
                    hostname: "mail.example.org", postmaster: "postmaster@example.org",
                    schedule: RetrySchedule(first: .seconds(3600), maximum: .seconds(3600), lifetime: .seconds(5 * 86400)),
                    delayNoticeAfter: nil, destinationConcurrency: 2,
                    router: OutboundRouter(relays: [:], smtpPort: port), tlsPolicies: OutboundTLSPolicyTable(),
                    scanInterval: .seconds(3600), timeout: .seconds(20)),
                resolver: try DNSResolver(configuration: DNSResolverConfiguration(
                    forwarders: [dns.forwarder], transparentZones: zones)),
                tlsContext: try TLSClientContext(configuration: TLSClientConfiguration(
                    useSystemTrustStore: false, extraTrustAnchorsFile: ca.certificatePath)),
                group: group, threadPool: pool, reports: reports,
                logger: Logger(label: "test") { _ in CapturingLogHandler(sink: logLines) },
                clock: { now.read() })
        }

        func send(_ subject: String, to recipient: String) throws {
            let transaction = try delivery.begin(DeliveryEnvelope(
                sender: "alice@example.org", remoteRecipients: [RemoteRecipient(address: recipient)],
                arrival: now.read()))
            try transaction.write(Array("Subject: \(subject)\r\n\r\nbody\r\n".utf8))
            queue.enqueue(id: try transaction.commit())
        }

        /// The queue runs in this test process, on the cooperative threads the other suites' blocking helpers
        /// (openssl, nsd, process waits) also use: in a full parallel run it can be slow, so the budget is generous.
        func waitForEmptyQueue() async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while try !spool.entries().isEmpty {
                try #require(ContinuousClock.now < deadline, "\(logLines.lines.withLock { $0 })")
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        func stop() async throws {
            await queue.stop()
            try await pool.shutdownGracefully()
            try await group.shutdownGracefully()
            try? FileManager.default.removeItem(atPath: directory)
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
        let rig = try Rig(dns: dns, zones: ["pin.test."], ca: ca, port: port)
        await rig.queue.start()

        try rig.send("first", to: "bob@pin.test")
        try await rig.waitForEmptyQueue()
        rig.now.advance(by: 25 * 3600)  // a day later
        try rig.send("second", to: "bob@pin.test")
        try await rig.waitForEmptyQueue()
        #expect(mx1.received().count == 2)
        let memory = try TLSMemoryStore(directory: rig.spool.directory).load()
        #expect(memory.domains["pin.test"]?.best == .verified && memory.domains["pin.test"]?.isPinned == true)
        #expect(memory.hosts["mx1.pin.test"]?.isPinned == true)

        // mx1 loses STARTTLS (as if stripped on the way); mx2 still has it.
        mx1.stop()
        mx1 = try TestMX(host: "127.0.0.8", port: port, behaviour: TestMX.Behaviour())
        let mx2 = try TestMX(host: "127.0.0.9", port: port, behaviour: withTLS)
        defer { mx2.stop() }
        rig.now.advance(by: 3600)
        try rig.send("third", to: "bob@pin.test")
        try await rig.waitForEmptyQueue()
        #expect(mx1.received().isEmpty, "nothing went to the downgraded MX in plaintext")
        #expect(mx2.received().count == 1 && mx2.received().first?.envelope.tls != nil)
        #expect(rig.logLines.contains("STRIPTLS alert", "mx=mx1.pin.test", "domain=pin.test", "now=plain"),
                "\(rig.logLines.lines.withLock { $0 })")
        let notices = rig.reports.received.withLock { $0 }
        #expect(notices.count == 1 && notices.first?.to == "postmaster@example.org")
        #expect(notices.first?.text.contains("loft tls-memory forget mx1.pin.test") == true)

        // Told once: the next downgrade of the same host sends no second notice.
        try rig.send("fourth", to: "bob@pin.test")
        try await rig.waitForEmptyQueue()
        #expect(rig.reports.received.withLock { $0.count } == 1)
        try await rig.stop()
    }

    @Test("TLS-RPT: a day's sessions are counted per domain and policy; after midnight UTC the domain's rua gets one JSON report")
    func dailyTLSReport() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let certificate = try ca.issue(dnsNames: ["mx1.rpt.test"])
        let port = try TestMX.freePort()
        let dns = try TestDNSServer(zones: [
            TestDNSZone(origin: "rpt.test", records: [
                "@ IN MX 10 mx1", "@ IN MX 20 mx2", "mx1 IN A 127.0.0.11", "mx2 IN A 127.0.0.12",
                "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@example.org,https://reports.example/x\"",
            ], signed: false),
            TestDNSZone(origin: "quiet.test", records: ["@ IN MX 10 mx", "mx IN A 127.0.0.11"], signed: false),
        ])
        defer { dns.stop() }
        var withTLS = TestMX.Behaviour()
        withTLS.certificate = (certificate.chainPath, certificate.privateKeyPath)
        let mx1 = try TestMX(host: "127.0.0.11", port: port, behaviour: withTLS)
        defer { mx1.stop() }
        let rig = try Rig(dns: dns, zones: ["rpt.test.", "quiet.test."], ca: ca, port: port)
        await rig.queue.start()
        try rig.send("one", to: "a@rpt.test")
        try rig.send("two", to: "b@rpt.test")
        try rig.send("three", to: "c@quiet.test")
        try await rig.waitForEmptyQueue()
        #expect(mx1.received().count == 3)
        // mx1 stops offering STARTTLS while the domain is not pinned yet: delivered, counted as a failure.
        mx1.stop()
        let plain = try TestMX(host: "127.0.0.11", port: port, behaviour: TestMX.Behaviour())
        defer { plain.stop() }
        try rig.send("four", to: "d@rpt.test")
        try await rig.waitForEmptyQueue()
        #expect(rig.reports.received.withLock { $0.isEmpty }, "nothing is reported before the day is over")

        rig.now.advance(by: 86400)
        rig.queue.wake()
        let deadline = ContinuousClock.now + .seconds(120)
        while rig.reports.received.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let sent = rig.reports.received.withLock { $0 }
        try #require(sent.count == 1, "one report, to the rpt.test rua (quiet.test publishes none): \(sent.map(\.to))")
        #expect(sent[0].to == "tls-reports@example.org")
        let text = sent[0].text
        #expect(text.contains("TLS-Report-Domain: rpt.test") && text.contains("TLS-Report-Submitter: mail.example.org"))
        #expect(text.contains("multipart/report; report-type=\"tlsrpt\"") && text.contains("application/tlsrpt+json"))
        let encoded = try #require(text.components(separatedBy: "Content-Disposition: attachment").last?
            .components(separatedBy: "\r\n\r\n").dropFirst().first)
        let json = try #require(Data(base64Encoded: encoded.components(separatedBy: "\r\n--").first ?? "", options: .ignoreUnknownCharacters))
        let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(report["organization-name"] as? String == "mail.example.org")
        let policies = try #require(report["policies"] as? [[String: Any]])
        #expect(policies.count == 1)
        let summary = policies[0]["summary"] as? [String: Int]
        #expect(summary?["total-successful-session-count"] == 2 && summary?["total-failure-session-count"] == 1, "\(report)")
        let failures = policies[0]["failure-details"] as? [[String: Any]]
        #expect(failures?.first?["result-type"] as? String == "starttls-not-supported")
        #expect(failures?.first?["receiving-mx-hostname"] as? String == "mx1.rpt.test")
        #expect((policies[0]["policy"] as? [String: Any])?["policy-type"] as? String == "no-policy-found")
        let collector = TLSReportCollector(queueDirectory: rig.spool.directory)
        let removal = ContinuousClock.now + .seconds(60)
        while try !collector.completeDays(before: rig.now.read()).isEmpty && ContinuousClock.now < removal {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try collector.completeDays(before: rig.now.read()).isEmpty, "the day is removed once reported")
        try await rig.stop()
    }
}
