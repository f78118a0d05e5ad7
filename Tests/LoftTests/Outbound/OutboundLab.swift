import Foundation
import TestSupport

/// A small test network for outbound delivery, all on loopback: a DNSSEC-signed zone `dest.test` served by
/// nsd (MX 10 mx1 → 127.0.0.2, MX 20 mx2 → 127.0.0.3, with TLSA records for DANE), an unsigned zone
/// `plain.test` (MX → 127.0.0.4), an unsigned `postfix.test` (MX → 127.0.0.6, for a private Postfix) and a
/// signed `nomail.test` with a null MX; a private CA that issued the MX certificates; test MX servers on
/// demand; and a Loft whose queue resolves through that nsd, connects to MX hosts on `port`, and retries
/// after one second.
final class OutboundLab: @unchecked Sendable {
    let ca: TestCertificateAuthority
    let mxCertificate: TestCertificateAuthority.Certificate
    let port: Int
    let dns: TestDNSServer
    let loft: LoftProcess
    private var servers: [TestMX] = []
    private var postfixes: [TestPostfix] = []

    /// - Parameters:
    ///   - tlsa: the TLSA records of mx1 and mx2 (rdata text after "TLSA"); nil: the ones matching the MX key.
    ///   - corruptDestSignatures: `dest.test` is signed, but every signature is broken (bogus).
    ///   - extraConfig: appended to Loft's TOML (e.g. an [outbound_tls] section).
    ///   - retryAfter: the queue's first retry interval (and its maximum).
    init(tlsa: String? = nil, corruptDestSignatures: Bool = false, retryAfter: String = "1s", extraConfig: String = "",
         queueConfig: String = "") throws {
        ca = try TestCertificateAuthority()
        mxCertificate = try ca.issue(dnsNames: ["mx1.dest.test", "mx2.dest.test", "mx.plain.test", "mx.postfix.test"])
        port = try TestMX.freePort()
        let record = tlsa ?? "3 1 1 \(mxCertificate.publicKeySHA256Hex)"
        dns = try TestDNSServer(zones: [
            TestDNSZone(origin: "dest.test", records: [
                "@ IN MX 10 mx1", "@ IN MX 20 mx2", "mx1 IN A 127.0.0.2", "mx2 IN A 127.0.0.3",
                "_\(port)._tcp.mx1 IN TLSA \(record)", "_\(port)._tcp.mx2 IN TLSA \(record)",
            ], corruptSignatures: corruptDestSignatures),
            TestDNSZone(origin: "plain.test", records: ["@ IN MX 10 mx", "mx IN A 127.0.0.4"], signed: false),
            TestDNSZone(origin: "postfix.test", records: ["@ IN MX 10 mx", "mx IN A 127.0.0.6"], signed: false),
            TestDNSZone(origin: "nomail.test", records: ["@ IN MX 0 ."]),
        ])
        let anchors = dns.trustAnchors().map { "\"\($0)\"" }.joined(separator: ", ")
        loft = try LoftProcess(
            listeners: [("submission", "implicit"), ("pop3", "implicit")],
            extraConfig: """

            [delivery]
            local_domains = ["example.org"]
            smtp_port = \(port)
            retry_after = "\(retryAfter)"
            max_retry_interval = "\(retryAfter)"
            \(queueConfig)

            [dns]
            forwarders = ["\(dns.forwarder)"]
            trust_anchors = [\(anchors)]
            transparent_zones = ["dest.test.", "plain.test.", "postfix.test.", "nomail.test."]

            """ + extraConfig)
    }

    /// A test MX on `host` with STARTTLS (the lab's certificate) unless `tls` is false.
    @discardableResult
    func startMX(_ host: String, tls: Bool = true, behaviour: TestMX.Behaviour = .init()) throws -> TestMX {
        var behaviour = behaviour
        if tls { behaviour.certificate = (mxCertificate.chainPath, mxCertificate.privateKeyPath) }
        let server = try TestMX(host: host, port: port, behaviour: behaviour)
        servers.append(server)
        return server
    }

    func stopMX(_ server: TestMX) {
        server.stop()
        servers.removeAll { $0 === server }
    }

    /// A private Postfix as the MX of `postfix.test` (127.0.0.6 on the lab's port), STARTTLS with the lab's
    /// certificate, accepting mail for `mailboxes` (local part → Maildir name).
    @discardableResult
    func startPostfix(mailboxes: [String: String]) throws -> TestPostfix {
        let postfix = try TestPostfix(
            host: "127.0.0.6", port: port, domain: "postfix.test", hostname: "mx.postfix.test", mailboxes: mailboxes,
            certificate: (mxCertificate.chainPath, mxCertificate.privateKeyPath))
        postfixes.append(postfix)
        return postfix
    }

    func start() async throws {
        try await loft.start(expectedListeners: 2)
    }

    /// Submits `message` as alice over implicit TLS (465) with smtplib.
    func submit(to recipients: [String], message: String = OutboundLab.message, options: [String] = [],
                recipientOptions: [String] = []) async throws {
        let result = try await Subprocess.python(PythonPOP3.prelude + """
            import smtplib
            s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=tls_context(), timeout=20)
            s.login("alice", \(LoftProcess.password.debugDescription))
            refused = s.sendmail("alice@example.org", json.loads(sys.argv[2]), sys.stdin.buffer.read(),
                                 json.loads(sys.argv[3]), json.loads(sys.argv[4]))
            s.quit()
            print(json.dumps(list(refused)))
            """, ["\(loft.port("implicit", protocol: "submission"))", Self.json(recipients), Self.json(options),
                  Self.json(recipientOptions)], input: Data(message.utf8))
        guard result.status == 0, result.output.contains("[]") else {
            throw Failure("submission failed: \(result.output) \(result.errors)")
        }
    }

    static let message = "From: alice@example.org\r\nTo: bob@dest.test\r\nSubject: outbound\r\nMessage-ID: <outbound@example.org>\r\n\r\n.a line with a leading dot\r\nbody\r\n"

    /// `loft queue ...` against the lab's configuration.
    func queue(_ arguments: String...) async throws -> Subprocess.Result {
        try await Subprocess.run(LoftProcess.executable, ["queue"] + arguments + ["--config", loft.configPath])
    }

    /// Entries left in the spool (envelope files).
    var queuedEntries: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: loft.directory.path + "/data/queue/envelopes")) ?? [])
            .filter { $0.hasSuffix(".json") }
    }

    /// Waits until the spool is empty (every recipient delivered or bounced).
    func waitForEmptyQueue(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !queuedEntries.isEmpty {
            guard ContinuousClock.now < deadline else { throw Failure("the queue did not empty: \(loft.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for a log line containing every one of `parts`.
    func waitForLog(containing parts: [String], timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = loft.log.split(separator: "\n").first(where: { line in parts.allSatisfy { line.contains($0) } }) {
                return String(line)
            }
            guard ContinuousClock.now < deadline else { throw Failure("no log line with \(parts): \(loft.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// alice's messages (the reports the queue sends her), read from her Maildir.
    func aliceMessages() -> [String] {
        loft.aliceMessageFiles().compactMap {
            try? String(contentsOfFile: loft.aliceMaildir + "/" + $0, encoding: .utf8)
        }
    }

    func waitForAliceMessages(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while aliceMessages().count < count {
            guard ContinuousClock.now < deadline else { throw Failure("alice got \(aliceMessages().count) messages: \(loft.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return aliceMessages()
    }

    func cleanUp() {
        loft.cleanUpNow()
        for server in servers { server.stop() }
        for postfix in postfixes { postfix.stop() }
        dns.stop()
        ca.remove()
    }

    static func json(_ value: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }
}
