import Foundation
import TestSupport

/// A small test network for outbound delivery, all on loopback: a DNSSEC-signed zone `dest.test` served by
/// nsd (MX 10 mx1 → 127.0.0.2, MX 20 mx2 → 127.0.0.3, with TLSA records for DANE unless `dane` is false), an
/// unsigned zone `plain.test` (MX → 127.0.0.4), an unsigned `postfix.test` (MX → 127.0.0.6, for a private
/// Postfix), an unsigned `v6.test` (MX → ::1) and a signed `nomail.test` with a null MX; a private CA that
/// issued the MX certificates and that Loft trusts (`[outbound_tls] ca_file`); test MX servers and an HTTPS
/// policy host (`mta-sts.dest.test` on 127.0.0.5:443) on demand; and a Loft whose queue resolves through
/// that nsd, connects to MX hosts on `port`, and retries after one second.
final class OutboundLab: @unchecked Sendable {
    let ca: TestCertificateAuthority
    let mxCertificate: TestCertificateAuthority.Certificate
    let port: Int
    let dns: TestDNSServer
    let loft: LoftProcess
    /// "implicit" or "starttls": how `submit` reaches the submission listener.
    let submissionTLS: String
    /// The issuer of the MX certificate when it is not `ca` (`mxCertificateFromUnknownCA`).
    private let unknownCA: TestCertificateAuthority?
    private let daneRecords: [String]
    private let corruptDestSignatures: Bool
    private var servers: [TestMX] = []
    private var policyServers: [TestHTTPSServer] = []
    private var postfixes: [TestPostfix] = []

    /// - Parameters:
    ///   - tlsa: the TLSA records of mx1 and mx2 (rdata text after "TLSA"); nil: the ones matching the MX key.
    ///   - dane: `dest.test` has TLSA records at all (false: DANE cannot apply, e.g. for MTA-STS).
    ///   - destRecords: more zone-file lines for `dest.test` (e.g. `_mta-sts` TXT, `mta-sts` A).
    ///   - mxCertificateFromUnknownCA: the MX certificate comes from a CA Loft does not trust.
    ///   - corruptDestSignatures: `dest.test` is signed, but every signature is broken (bogus).
    ///   - outboundTLS: lines for Loft's `[outbound_tls]` section (after its `ca_file`).
    ///   - extraConfig: appended to Loft's TOML.
    ///   - retryAfter: the queue's first retry interval (and its maximum).
    ///   - relay: a `[[relay]]` for every domain, at `host` on the lab's port, with implicit TLS and AUTH.
    ///   - submissionTLS: the submission listener's TLS mode, "implicit" (465) or "starttls" (587).
    init(tlsa: String? = nil, dane: Bool = true, destRecords: [String] = [], mxCertificateFromUnknownCA: Bool = false,
         corruptDestSignatures: Bool = false, retryAfter: String = "1s", outboundTLS: String = "", extraConfig: String = "",
         queueConfig: String = "", relay: (host: String, user: String, password: String)? = nil,
         submissionTLS: String = "implicit") throws {
        self.submissionTLS = submissionTLS
        ca = try TestCertificateAuthority()
        unknownCA = mxCertificateFromUnknownCA ? try TestCertificateAuthority(commonName: "Unknown CA") : nil
        mxCertificate = try (unknownCA ?? ca).issue(dnsNames: ["mx1.dest.test", "mx2.dest.test", "mx.plain.test", "mx.postfix.test"])
        port = try TestMX.freePort()
        let record = tlsa ?? "3 1 1 \(mxCertificate.publicKeySHA256Hex)"
        daneRecords = dane ? ["_\(port)._tcp.mx1 IN TLSA \(record)", "_\(port)._tcp.mx2 IN TLSA \(record)"] : []
        self.corruptDestSignatures = corruptDestSignatures
        dns = try TestDNSServer(zones: [
            Self.destZone(daneRecords + destRecords, corruptSignatures: corruptDestSignatures),
            TestDNSZone(origin: "plain.test", records: ["@ IN MX 10 mx", "mx IN A 127.0.0.4"], signed: false),
            TestDNSZone(origin: "postfix.test", records: ["@ IN MX 10 mx", "mx IN A 127.0.0.6"], signed: false),
            TestDNSZone(origin: "nomail.test", records: ["@ IN MX 0 ."]),
            TestDNSZone(origin: "v6.test", records: ["@ IN MX 10 mx", "mx IN AAAA ::1"], signed: false),
        ])
        var relayConfig = ""
        if let relay {
            let secret = ca.directory + "/relay.secret"
            try Data((relay.password + "\n").utf8).write(to: URL(fileURLWithPath: secret))
            relayConfig = """

                [[relay]]
                domains = ["*"]
                host = "\(relay.host):\(port)"
                tls = "implicit"
                username = "\(relay.user)"
                password_file = "\(secret)"

                """
        }
        let anchors = dns.trustAnchors().map { "\"\($0)\"" }.joined(separator: ", ")
        loft = try LoftProcess(
            listeners: [("submission", submissionTLS), ("pop3", "implicit")],
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
            transparent_zones = ["dest.test.", "plain.test.", "postfix.test.", "nomail.test.", "v6.test."]

            [outbound_tls]
            ca_file = "\(ca.certificatePath)"
            \(outboundTLS)

            """ + relayConfig + extraConfig)
    }

    private static func destZone(_ extra: [String], corruptSignatures: Bool) -> TestDNSZone {
        TestDNSZone(origin: "dest.test", records: [
            "@ IN MX 10 mx1", "@ IN MX 20 mx2", "mx1 IN A 127.0.0.2", "mx2 IN A 127.0.0.3",
        ] + extra, corruptSignatures: corruptSignatures)
    }

    /// Serves `dest.test` again with `destRecords` in place of the ones it had (its TLSA records stay).
    func replaceDestRecords(_ destRecords: [String]) throws {
        try dns.replace(zone: Self.destZone(daneRecords + destRecords, corruptSignatures: corruptDestSignatures))
    }

    /// The zone-file lines that publish an MTA-STS policy host for `dest.test` with this record id. The
    /// policy host listens on port 443 (RFC 8461 §3.3), so suites that run at the same time give it
    /// different addresses.
    static func mtaSTSRecords(id: String, policyHost: String = "127.0.0.5") -> [String] {
        ["mta-sts IN A \(policyHost)", "_mta-sts IN TXT \"v=STSv1; id=\(id)\""]
    }

    /// The policy host `mta-sts.dest.test`: Python's https server on `host`:443 with a certificate from the
    /// lab's CA, answering every GET with `response`.
    @discardableResult
    func startPolicyServer(_ response: TestHTTPSServer.Response, host: String = "127.0.0.5") throws -> TestHTTPSServer {
        let certificate = try ca.issue(dnsNames: ["mta-sts.dest.test"])
        let server = try TestHTTPSServer(
            host: host, port: 443, certificate: (certificate.chainPath, certificate.privateKeyPath), response: response)
        policyServers.append(server)
        return server
    }

    /// An MTA-STS policy file for `dest.test`.
    static func policy(mode: String, mx: [String], maxAge: Int = 86400) -> TestHTTPSServer.Response {
        TestHTTPSServer.Response(body: "version: STSv1\r\nmode: \(mode)\r\n" + mx.map { "mx: \($0)\r\n" }.joined()
            + "max_age: \(maxAge)\r\n")
    }

    /// A test MX on `host` with STARTTLS (the lab's certificate) unless `tls` is false; `certificate`
    /// replaces the lab's MX certificate.
    @discardableResult
    func startMX(_ host: String, tls: Bool = true, certificate: TestCertificateAuthority.Certificate? = nil,
                 behaviour: TestMX.Behaviour = .init()) throws -> TestMX {
        var behaviour = behaviour
        let certificate = certificate ?? mxCertificate
        if tls { behaviour.certificate = (certificate.chainPath, certificate.privateKeyPath) }
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

    /// Submits `message` as alice with smtplib, over implicit TLS (465) or STARTTLS (587) as `submissionTLS` says.
    func submit(to recipients: [String], message: String = OutboundLab.message, options: [String] = [],
                recipientOptions: [String] = []) async throws {
        let connect = submissionTLS == "starttls"
            ? "s = smtplib.SMTP(\"127.0.0.1\", int(sys.argv[1]), timeout=20)\ns.starttls(context=tls_context())"
            : "s = smtplib.SMTP_SSL(\"127.0.0.1\", int(sys.argv[1]), context=tls_context(), timeout=20)"
        let result = try await Subprocess.python(PythonPOP3.prelude + """
            import smtplib
            \(connect)
            s.login("alice", \(LoftProcess.password.debugDescription))
            refused = s.sendmail("alice@example.org", json.loads(sys.argv[2]), sys.stdin.buffer.read(),
                                 json.loads(sys.argv[3]), json.loads(sys.argv[4]))
            s.quit()
            print(json.dumps(list(refused)))
            """, ["\(loft.port(submissionTLS, protocol: "submission"))", Self.json(recipients), Self.json(options),
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

    /// `loft tls-memory ...` against the lab's configuration.
    func tlsMemory(_ arguments: String...) async throws -> Subprocess.Result {
        try await Subprocess.run(LoftProcess.executable, ["tls-memory"] + arguments + ["--config", loft.configPath])
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
        for server in policyServers { server.stop() }
        for postfix in postfixes { postfix.stop() }
        dns.stop()
        ca.remove()
        unknownCA?.remove()
    }

    static func json(_ value: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }
}
