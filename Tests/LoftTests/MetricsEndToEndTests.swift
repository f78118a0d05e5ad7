import Foundation
import Testing

/// A scrape of `/metrics` with curl, parsed from the Prometheus text format.
struct MetricsScrape {
    /// `name{label="value",...}` → value, for every sample line.
    private(set) var samples: [(name: String, labels: [String: String], value: Double)] = []
    /// The `# TYPE` of each metric name.
    private(set) var types: [String: String] = [:]
    let raw: String

    init(_ text: String) {
        raw = text
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
            else { continue }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: Substring
            if let open = series.firstIndex(of: "{") {
                name = series[..<open]
                let body = series[series.index(after: open)..<series.index(before: series.endIndex)]
                for pair in body.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            } else {
                name = series
            }
            samples.append((String(name), labels, value))
        }
    }

    /// The sum of every series of `name` that has all of `labels` (0 when there is none yet).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    func has(_ name: String) -> Bool { samples.contains { $0.name == name } }

    /// `curl http://127.0.0.1:PORT/metrics`.
    static func fetch(port: Int) async throws -> MetricsScrape {
        let result = try await Subprocess.run("curl", ["-sS", "--fail", "http://127.0.0.1:\(port)/metrics"])
        guard result.status == 0 else { throw Failure("curl /metrics failed (\(result.status)): \(result.errors)") }
        return MetricsScrape(result.output)
    }
}

extension LoftProcess {
    /// The port of the metrics endpoint, from its `metrics=http://127.0.0.1:PORT/metrics ... listening` line.
    func metricsPort(timeout: Duration = .seconds(20)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            for line in log.split(separator: "\n") where line.hasSuffix("listening") {
                if let range = line.range(of: #"metrics=http://127\.0\.0\.1:\d+/metrics"#, options: .regularExpression),
                   let port = Int(line[range].dropFirst("metrics=http://127.0.0.1:".count).prefix { $0.isNumber }) {
                    return port
                }
            }
            guard ContinuousClock.now < deadline else { throw Failure("no metrics listener in the log: \(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// `[metrics]` end to end: a real `loft serve`, real clients (poplib, imaplib, smtplib, a TLS client with the
/// wrong ALPN), and curl scraping `/metrics` before and after; each counter moved by exactly what was done.
@Suite(.serialized) struct MetricsEndToEndTests {
    static let metricsConfig = "\n[metrics]\nlisten = \"127.0.0.1:0\"\n"

    @Test("connections, TLS handshakes and failures, logins, penalty hits, accepted and locally delivered mail")
    func sessionCounters() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "implicit"), ("imap", "starttls"), ("submission", "implicit")], failureDelay: "1s",
            extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n" + Self.metricsConfig)
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let port = try await server.metricsPort()
        #expect(!server.log.contains("listener=metrics"), "the metrics line stays out of the listener table")

        let before = try await MetricsScrape.fetch(port: port)
        #expect(before.types["loft_connections_total"] == "counter", "\(before.raw)")
        #expect(before.types["loft_queue_entries"] == "gauge", "\(before.raw)")
        #expect(before.types["loft_queue_oldest_age_seconds"] == "gauge", "\(before.raw)")
        #expect(before.value("loft_queue_entries") == 0)
        #expect(before.value("loft_queue_oldest_age_seconds") == 0)
        // Made when the listener starts, so they show before anything happened.
        #expect(before.has("loft_logins_total") && before.has("loft_tls_handshakes_total"), "\(before.raw)")

        let result = try await Subprocess.python(SubmissionEndToEndTests.prelude + #"""
        pop3_port, imap_port, smtp_port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        # A client that offers only another protocol's ALPN id: Loft's strict ALPN ends the handshake.
        wrong = tls_context()
        wrong.set_alpn_protocols(["http/1.1"])
        try:
            wrong.wrap_socket(socket.create_connection(("127.0.0.1", pop3_port), timeout=20)).close()
            print("ALPN mismatch accepted")
        except ssl.SSLError:
            pass
        # POP3: a wrong password, then the right one (which waits for the failure penalty).
        p = connect("ssl", pop3_port)
        try:
            login(p, password="wrong")
            print("wrong password accepted")
        except poplib.error_proto:
            pass
        p.quit()
        p = connect("ssl", pop3_port)
        login(p)
        p.quit()
        # IMAP over STARTTLS.
        import imaplib
        m = imaplib.IMAP4("127.0.0.1", imap_port, timeout=20)
        m.starttls(ssl_context=tls_context())
        m.login("alice", \#(LoftProcess.password.debugDescription))
        m.logout()
        # A submission to a local user.
        s = smtp("implicit", smtp_port)
        s.login("alice", \#(LoftProcess.password.debugDescription))
        refused = s.sendmail("alice@example.org", ["alice@example.org"], b"Subject: metrics\r\n\r\nhello\r\n")
        s.quit()
        print("done", json.dumps(list(refused)))
        """#, ["\(server.port("implicit", protocol: "pop3"))", "\(server.port("starttls", protocol: "imap"))",
               "\(server.port("implicit", protocol: "submission"))"])
        #expect(result.output == "done []\n", "\(result.output) \(result.errors)\n\(server.log)")
        // The ALPN failure is counted when the server fails the handshake; wait until the line that follows it.
        try await server.waitForLog(suffix: "disconnected", count: 5)

        let after = try await MetricsScrape.fetch(port: port)
        func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
            after.value(name, labels) - before.value(name, labels)
        }
        #expect(delta("loft_connections_total", ["protocol": "pop3", "tls": "implicit"]) == 3, "\(after.raw)")
        #expect(delta("loft_connections_total", ["protocol": "imap", "tls": "starttls"]) == 1)
        #expect(delta("loft_connections_total", ["protocol": "submission", "tls": "implicit"]) == 1)
        #expect(delta("loft_tls_handshakes_total", ["protocol": "pop3"]) == 2, "\(after.raw)")
        #expect(delta("loft_tls_handshakes_total", ["protocol": "imap"]) == 1)
        #expect(delta("loft_tls_handshakes_total", ["protocol": "submission"]) == 1)
        #expect(delta("loft_tls_handshakes_total", ["version": "1.3"]) == 4, "Python's ssl and Loft agree on TLS 1.3")
        #expect(delta("loft_tls_handshake_failures_total", ["protocol": "pop3"]) == 1)
        #expect(delta("loft_tls_handshake_failures_total") == 1)
        #expect(delta("loft_logins_total", ["protocol": "pop3", "outcome": "failure"]) == 1)
        #expect(delta("loft_logins_total", ["protocol": "pop3", "outcome": "success"]) == 1)
        #expect(delta("loft_logins_total", ["protocol": "imap", "outcome": "success"]) == 1)
        #expect(delta("loft_logins_total", ["protocol": "submission", "outcome": "success"]) == 1)
        #expect(delta("loft_logins_total") == 4)
        #expect(delta("loft_auth_penalty_hits_total", ["protocol": "pop3"]) == 1)
        #expect(delta("loft_auth_penalty_hits_total") == 1)
        #expect(delta("loft_messages_accepted_total") == 1)
        #expect(delta("loft_messages_delivered_total", ["destination": "local"]) == 1)
        #expect(delta("loft_messages_delivered_total", ["destination": "remote"]) == 0)
        #expect(delta("loft_messages_bounced_total") == 0)
        #expect(delta("loft_storage_errors_total") == 0)
        #expect(after.value("loft_queue_entries") == 0)
        #expect(server.aliceMessageFiles().count == 1)
    }

    @Test("remote mail: one recipient refused (bounced), the other deferred once then delivered; the DSN is a local delivery")
    func queueCounters() async throws {
        var behaviour = TestMX.Behaviour()
        behaviour.temporaryFailures = 1
        behaviour.refuse = ["nobody@dest.test": "550 5.1.1 <nobody@dest.test>: no such user"]
        let lab = try OutboundLab(extraConfig: Self.metricsConfig)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2", behaviour: behaviour)
        try await lab.start()
        let port = try await lab.loft.metricsPort()
        let before = try await MetricsScrape.fetch(port: port)
        try await lab.submit(to: ["bob@dest.test", "nobody@dest.test"])
        #expect(await mx.waitForMessages(1).count == 1, "\(lab.loft.log)")
        _ = try await lab.waitForAliceMessages(1)
        try await lab.waitForEmptyQueue()
        _ = try await lab.waitForLog(containing: ["queue entry done"])

        let after = try await MetricsScrape.fetch(port: port)
        func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
            after.value(name, labels) - before.value(name, labels)
        }
        #expect(delta("loft_messages_accepted_total") == 1, "\(after.raw)")
        #expect(delta("loft_messages_delivered_total", ["destination": "remote"]) == 1)
        #expect(delta("loft_messages_deferred_total") == 1)
        #expect(delta("loft_messages_bounced_total", ["destination": "remote"]) == 1)
        #expect(delta("loft_messages_delivered_total", ["destination": "local"]) == 1, "the DSN in alice's Maildir")
        #expect(delta("loft_striptls_alerts_total") == 0)
        #expect(after.value("loft_queue_entries") == 0)
        #expect(after.value("loft_queue_oldest_age_seconds") == 0)
    }

    @Test("a waiting entry shows in the queue gauges")
    func queueGauges() async throws {
        let lab = try OutboundLab(extraConfig: Self.metricsConfig)  // no MX runs: the entry waits
        defer { lab.cleanUp() }
        try await lab.start()
        let port = try await lab.loft.metricsPort()
        try await lab.submit(to: ["bob@dest.test"])
        _ = try await lab.waitForLog(containing: ["queue entry deferred"])
        let scrape = try await MetricsScrape.fetch(port: port)
        #expect(scrape.value("loft_queue_entries") == 1, "\(scrape.raw)")
        #expect(scrape.value("loft_queue_oldest_age_seconds") > 0)
        #expect(scrape.value("loft_messages_deferred_total") >= 1)
    }
}
