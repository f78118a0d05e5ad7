import Delivery
import Foundation
import Testing
import TestSupport

/// `loft check-tls` as an admin runs it: the real binary against Loft's own six listeners, an
/// `openssl s_server` with an expired certificate, a closed port, and (`--mx`) the outbound lab's
/// nsd-served DNSSEC zones and aiosmtpd MX servers.
@Suite(.serialized) struct CheckTLSEndToEndTests {
    /// Where this suite's MTA-STS policy host listens (on port 443): not MTASTSEndToEndTests' address, since
    /// the two suites run at the same time.
    static let policyHost = "127.0.0.7"
    static let sixListeners = [
        ("pop3", "starttls"), ("pop3", "implicit"), ("imap", "starttls"), ("imap", "implicit"),
        ("submission", "starttls"), ("submission", "implicit"),
    ]

    /// Runs `loft check-tls` with `arguments`.
    static func checkTLS(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> Subprocess.Result {
        try await Subprocess.run(LoftProcess.executable, ["check-tls"] + arguments, timeout: timeout)
    }

    /// The arguments that point check-tls at one of `server`'s listeners (ports are random, so the
    /// protocol and the TLS mode are given).
    static func arguments(_ server: LoftProcess, _ proto: String, _ tls: String) -> [String] {
        ["127.0.0.1:\(server.port(tls, protocol: proto))", "--protocol", proto, "--\(tls)"]
    }

    /// The certificate's SHA-256 fingerprint as `openssl x509` computes it, lowercase hex.
    static func fingerprint(_ path: String) async throws -> String {
        let result = try await Subprocess.run("openssl", ["x509", "-in", path, "-noout", "-fingerprint", "-sha256"])
        let value = try #require(result.output.split(separator: "=").last)
        return value.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    static func json(_ result: Subprocess.Result) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: result.stdout)
        return try #require(object as? [String: Any], "not a JSON object: \(result.output)")
    }

    @Test("each of Loft's six listeners, trusting its certificate: exit 0, the chain as sent, STARTTLS offered, 1.0/1.1 refused and 1.2/1.3 accepted")
    func loftListenersTrusted() async throws {
        let server = try LoftProcess(listeners: Self.sixListeners)
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 6)
        let fingerprint = try await Self.fingerprint(server.certificatePath)
        for (proto, tls) in Self.sixListeners {
            let result = try await Self.checkTLS(Self.arguments(server, proto, tls) + ["--ca-file", server.certificatePath])
            let text = result.output
            let what = "\(proto) \(tls): \(text) \(result.errors)"
            #expect(result.status == 0, "\(what)")
            #expect(text.contains("Verdict: OK: "), "\(what)")
            #expect(text.contains("with a certificate valid for 127.0.0.1 until"), "\(what)")
            #expect(text.contains("Connected to 127.0.0.1:\(server.port(tls, protocol: proto))"), "\(what)")
            #expect(text.contains("Certificate chain as sent (leaf first):"), "\(what)")
            #expect(text.contains("subject  CN=mail.example.org"), "\(what)")
            #expect(text.contains("SANs     DNS:mail.example.org, IP:127.0.0.1"), "\(what)")
            #expect(text.contains("SHA-256  \(fingerprint)"), "\(what)")
            #expect(text.contains("Verification: verified for 127.0.0.1"), "\(what)")
            #expect(text.contains("ALPN \(proto == "submission" ? "smtp" : proto)"), "\(what)")
            #expect(text.contains("TLS versions: 1.0 refused") && text.contains("1.1 refused")
                    && text.contains("1.2 accepted") && text.contains("1.3 accepted"), "\(what)")
            if tls == "starttls" {
                #expect(text.contains("STARTTLS offered"), "\(what)")
                #expect(text.contains("Before TLS") && text.contains("After TLS"), "\(what)")
            } else {
                #expect(!text.contains("Before TLS"), "\(what)")
                #expect(text.contains("After TLS"), "\(what)")
            }
            switch (proto, tls) {
            case ("imap", "starttls"):
                #expect(text.contains("LOGINDISABLED before TLS: yes"), "\(what)")
                #expect(text.contains("STARTTLS: c2 OK"), "\(what)")
            case ("submission", "starttls"):
                #expect(text.contains("AUTH before TLS: none"), "\(what)")
                #expect(text.contains("AUTH after TLS: PLAIN LOGIN"), "\(what)")
                #expect(text.contains("Greeting: 220 mail.example.org ESMTP Loft"), "\(what)")
            case ("pop3", "starttls"):
                #expect(text.contains("STARTTLS offered (STLS)"), "\(what)")
                #expect(text.contains("USER/PASS before TLS: not offered"), "\(what)")
                #expect(text.contains("USER/PASS after TLS: offered"), "\(what)")
            case ("pop3", "implicit"):
                #expect(text.contains("Greeting: +OK Loft POP3 server ready."), "\(what)")
            default:
                break
            }
            #expect(!text.contains("Warnings:"), "Loft offers no password before TLS: \(what)")
        }
    }

    @Test("--json against the submission STARTTLS port: the same facts, field by field")
    func loftListenerJSON() async throws {
        let server = try LoftProcess(listeners: [("submission", "starttls")])
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let result = try await Self.checkTLS(
            Self.arguments(server, "submission", "starttls") + ["--ca-file", server.certificatePath, "--json"])
        #expect(result.status == 0, "\(result.output) \(result.errors)")
        let report = try Self.json(result)
        #expect(report["mode"] as? String == "service")
        #expect(report["status"] as? String == "ok")
        #expect(report["exit_code"] as? Int == 0)
        #expect(report["protocol"] as? String == "submission")
        #expect(report["tls_mode"] as? String == "starttls")
        #expect(report["port"] as? Int == server.port("starttls", protocol: "submission"))
        #expect(report["address"] as? String == "127.0.0.1:\(server.port("starttls", protocol: "submission"))")
        #expect(report["greeting"] as? String == "220 mail.example.org ESMTP Loft")
        #expect(report["starttls_offered"] as? Bool == true)
        #expect((report["verdict"] as? String)?.hasPrefix("OK: STARTTLS (TLSv1.3)") == true, "\(report)")
        #expect((report["problems"] as? [Any])?.isEmpty == true)
        let before = try #require(report["before_tls"] as? [String: Any])
        #expect(before["starttls"] as? Bool == true)
        #expect((before["auth_mechanisms"] as? [String]) == [])
        #expect(before["login_disabled"] is NSNull)
        let after = try #require(report["after_tls"] as? [String: Any])
        #expect((after["auth_mechanisms"] as? [String]) == ["PLAIN", "LOGIN"])
        #expect((after["lines"] as? [String])?.contains("STARTTLS") == false, "no STARTTLS inside TLS")
        let tls = try #require(report["tls"] as? [String: Any])
        #expect(tls["version"] as? String == "TLSv1.3")
        #expect(tls["alpn"] as? String == "smtp")
        let certificates = try #require(report["certificates"] as? [[String: Any]])
        #expect(certificates.count == 1)
        #expect(certificates.first?["subject"] as? String == "CN=mail.example.org")
        #expect(certificates.first?["ip_addresses"] as? [String] == ["127.0.0.1"])
        #expect(certificates.first?["sha256"] as? String == (try await Self.fingerprint(server.certificatePath)))
        #expect((certificates.first?["days_left"] as? Int).map { (28...30).contains($0) } == true, "\(certificates)")
        let verification = try #require(report["verification"] as? [String: Any])
        #expect(verification["result"] as? String == "verified")
        #expect(verification["matched_name"] as? String == "127.0.0.1")
        let versions = try #require(report["versions"] as? [String: [String: Any]])
        #expect(versions["1.0"]?["result"] as? String == "refused")
        #expect(versions["1.1"]?["result"] as? String == "refused")
        #expect(versions["1.2"]?["result"] as? String == "accepted")
        #expect(versions["1.3"]?["result"] as? String == "accepted")
    }

    @Test("without --ca-file the self-signed certificate is not trusted: exit 1, the verdict says so", arguments: [
        ("submission", "starttls"), ("imap", "implicit"), ("pop3", "starttls"),
    ])
    func loftListenerUntrusted(proto: String, tls: String) async throws {
        let server = try LoftProcess(listeners: [(proto, tls)])
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let result = try await Self.checkTLS(Self.arguments(server, proto, tls))
        #expect(result.status == 1, "\(result.output) \(result.errors)")
        let verdict = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("Verdict: ") })
        #expect(verdict.contains("\(server.port(tls, protocol: proto)): the certificate is not trusted"), "\(verdict)")
        #expect(verdict.contains("self-signed certificate") && verdict.contains("--ca-file"), "\(verdict)")
        #expect(result.output.contains("Certificate chain as sent"), "the chain is still shown: \(result.output)")
    }

    @Test("--name other.example: exit 1, the verdict names the mismatch and what the certificate covers")
    func loftListenerWrongName() async throws {
        let server = try LoftProcess(listeners: [("submission", "starttls"), ("imap", "implicit")])
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let port = server.port("starttls", protocol: "submission")
        let result = try await Self.checkTLS(
            Self.arguments(server, "submission", "starttls") + ["--ca-file", server.certificatePath, "--name", "other.example"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains(
            "Verdict: \(port) offers STARTTLS but the certificate does not cover other.example (it covers mail.example.org, 127.0.0.1)"),
            "\(result.output)")
        let implicit = try await Self.checkTLS(
            Self.arguments(server, "imap", "implicit") + ["--ca-file", server.certificatePath, "--name", "other.example", "--json"])
        #expect(implicit.status == 1)
        let report = try Self.json(implicit)
        #expect(report["status"] as? String == "broken")
        #expect(report["name"] as? String == "other.example")
        #expect((report["verdict"] as? String)?.contains(": the certificate does not cover other.example") == true, "\(report)")
        #expect((report["verification"] as? [String: Any])?["reason"] as? String == "hostname mismatch (depth 0)", "\(report)")
    }

    @Test("openssl s_server with an expired certificate from a trusted CA: exit 1, the verdict says when it expired")
    func expiredCertificate() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let expired = try ca.issueExpired(dnsNames: ["mail.test"], ipAddresses: ["127.0.0.1"])
        let server = try await SServer.start(["-cert", expired.certificatePath, "-key", expired.privateKeyPath])
        defer { server.stop() }
        let result = try await Self.checkTLS([
            "127.0.0.1:\(server.port)", "--protocol", "imap", "--implicit", "--name", "mail.test",
            "--ca-file", ca.certificatePath, "--timeout", "2",
        ])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("Verdict: \(server.port): the certificate expired 1 day ago"), "\(result.output)")
        #expect(result.output.contains("Verification: failed: certificate has expired"), "\(result.output)")
        #expect(result.output.contains("also: \(server.port): no answer within 2 s while waiting for the greeting"),
                "s_server sends no IMAP greeting: \(result.output)")
    }

    @Test("listeners that accept passwords before TLS: still exit 0, with a warning naming what is offered in clear")
    func plaintextLoginWarning() async throws {
        let server = try LoftProcess(listeners: [], extraConfig: """

            [[listener]]
            protocol = "imap"
            address = "127.0.0.1:0"
            tls = "starttls"
            allow_plaintext_auth = true

            [[listener]]
            protocol = "pop3"
            address = "127.0.0.1:0"
            tls = "starttls"
            allow_plaintext_auth = true

            """)
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let imapPort = server.port("starttls", protocol: "imap")
        let imap = try await Self.checkTLS(Self.arguments(server, "imap", "starttls") + ["--ca-file", server.certificatePath])
        #expect(imap.status == 0, "\(imap.output)")
        #expect(imap.output.contains("LOGINDISABLED before TLS: no (LOGIN accepted in clear)"), "\(imap.output)")
        #expect(imap.output.contains("Warnings:\n  - \(imapPort) offers LOGIN, AUTH PLAIN, AUTH LOGIN before TLS: "
                                     + "a client could send its password in clear"), "\(imap.output)")
        let pop3 = try Self.json(try await Self.checkTLS(
            Self.arguments(server, "pop3", "starttls") + ["--ca-file", server.certificatePath, "--json"]))
        #expect(pop3["status"] as? String == "ok")
        #expect((pop3["before_tls"] as? [String: Any])?["plaintext_logins"] as? [String] == ["USER", "AUTH PLAIN", "AUTH LOGIN"])
        #expect((pop3["warnings"] as? [String])?.first?.contains("offers USER, AUTH PLAIN, AUTH LOGIN before TLS") == true, "\(pop3)")
    }

    @Test("a closed port: exit 2 and a clear message")
    func closedPort() async throws {
        let port = try TestMX.freePort()
        let result = try await Self.checkTLS(["127.0.0.1:\(port)", "--protocol", "submission"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("Verdict: cannot connect to 127.0.0.1 port \(port) (127.0.0.1:\(port): Connection refused)"),
                "\(result.output)")
        let json = try Self.json(try await Self.checkTLS(["127.0.0.1:\(port)", "--protocol", "submission", "--json"]))
        #expect(json["status"] as? String == "unreachable")
        #expect(json["exit_code"] as? Int == 2)
        #expect(json["address"] is NSNull)
    }

    @Test("usage errors exit 2 and say what is wrong", arguments: [
        (["127.0.0.1:2525"], "not a standard mail port"),
        (["127.0.0.1", "--protocol", "gopher"], "--protocol must be"),
        ([String](), "give HOST[:PORT]"),
        (["--mx", "example.org", "--protocol", "smtp"], "--mx takes a domain alone"),
        (["127.0.0.1:99999"], "not a port number"),
        (["127.0.0.1:587", "--frobnicate"], "Unknown option"),
    ])
    func usageErrors(arguments: [String], message: String) async throws {
        let result = try await Self.checkTLS(arguments)
        #expect(result.status == 2, "\(result.output) \(result.errors)")
        #expect(result.errors.contains(message), "\(result.errors)")
    }

    // MARK: --mx

    /// `loft check-tls --mx DOMAIN` with the lab's configuration.
    static func checkMX(_ lab: OutboundLab, _ domain: String, json: Bool = false) async throws -> Subprocess.Result {
        try await checkTLS(["--mx", domain, "--config", lab.loft.configPath] + (json ? ["--json"] : []))
    }

    @Test("--mx with DNSSEC-secure MX hosts and matching TLSA records: exit 0, DANE verified at every address")
    func mxDANEMatch() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        try lab.startMX("127.0.0.2")
        try lab.startMX("127.0.0.3")
        let result = try await Self.checkMX(lab, "dest.test")
        let text = result.output
        #expect(result.status == 0, "\(text) \(result.errors)")
        #expect(text.contains("MX records (DNSSEC: secure):\n  10 mx1.dest.test\n  20 mx2.dest.test"), "\(text)")
        #expect(text.contains("TLSA _\(lab.port)._tcp.mx1.dest.test (DNSSEC: secure):\n    3 1 1 \(lab.mxCertificate.publicKeySHA256Hex)"), "\(text)")
        #expect(text.contains("The queue's TLS plan: may: dane (1 usable TLSA)"), "\(text)")
        #expect(text.contains("DANE: DANE verified (end entity)"), "\(text)")
        #expect(text.contains("The queue: delivers over TLS, DANE verified (end entity)"), "\(text)")
        #expect(text.contains("REQUIRETLS after TLS: not offered"), "\(text)")
        #expect(text.contains("_mta-sts.dest.test TXT: none (DNSSEC: secure): dest.test publishes no MTA-STS policy"), "\(text)")
        #expect(text.contains("the queue applies: no policy"), "\(text)")
        #expect(text.contains("Downgrade memory (\(lab.loft.directory.path)/data/queue/tls-memory.json):\n"
                              + "  domain dest.test: nothing remembered\n  mx1.dest.test: nothing remembered\n"), "\(text)")
        #expect(text.contains("TLS-RPT (RFC 8460): _smtp._tls.dest.test TXT (DNSSEC: secure): none"), "\(text)")
        #expect(text.contains("Verdict: OK: dest.test: mx1.dest.test [127.0.0.2]: the queue delivers over TLS, DANE verified "
                              + "(end entity); mx2.dest.test [127.0.0.3]: the queue delivers over TLS, DANE verified"), "\(text)")

        let json = try Self.json(try await Self.checkMX(lab, "dest.test", json: true))
        #expect(json["mode"] as? String == "mx")
        #expect(json["domain"] as? String == "dest.test")
        #expect(json["status"] as? String == "ok")
        #expect(json["port"] as? Int == lab.port)
        #expect(json["policy"] as? String == "may")
        #expect(json["dns_outcome"] as? String == "hosts")
        let mx = try #require(json["mx"] as? [String: Any])
        #expect(mx["dnssec"] as? String == "secure")
        #expect(mx["null_mx"] as? Bool == false)
        #expect((mx["records"] as? [[String: Any]])?.compactMap { $0["host"] as? String } == ["mx1.dest.test", "mx2.dest.test"])
        let hosts = try #require(json["hosts"] as? [[String: Any]])
        #expect(hosts.compactMap { $0["name"] as? String } == ["mx1.dest.test", "mx2.dest.test"])
        let first = try #require(hosts.first)
        #expect(first["preference"] as? Int == 10)
        #expect(first["dnssec_secure"] as? Bool == true)
        #expect(first["plan"] as? String == "may: dane (1 usable TLSA)")
        #expect(first["skipped"] is NSNull)
        let tlsa = try #require(first["tlsa"] as? [String: Any])
        #expect(tlsa["looked_up"] as? Bool == true)
        #expect(tlsa["dnssec"] as? String == "secure")
        #expect(tlsa["records"] as? [String] == ["3 1 1 \(lab.mxCertificate.publicKeySHA256Hex)"])
        let address = try #require((first["addresses"] as? [[String: Any]])?.first)
        #expect(address["address"] as? String == "127.0.0.2")
        #expect(address["starttls_offered"] as? Bool == true)
        #expect(address["requiretls_offered"] as? Bool == false)
        #expect(address["dane"] as? String == "verified")
        #expect(address["status"] as? String == "ok")
        #expect((address["verification"] as? [String: Any])?["dane_depth"] as? Int == 0)
        #expect(((address["certificates"] as? [[String: Any]])?.first?["public_key_sha256"] as? String)
                == lab.mxCertificate.publicKeySHA256Hex)
        let sts = try #require(json["mta_sts"] as? [String: Any])
        #expect((sts["record"] as? [String: Any])?["status"] as? String == "absent", "\(sts)")
        #expect(sts["fetched"] is NSNull && sts["applied"] is NSNull, "\(sts)")
        #expect((sts["hosts"] as? [Any])?.isEmpty == true, "no policy to hold the hosts against: \(sts)")
        let memory = try #require(json["downgrade_memory"] as? [String: Any])
        #expect(memory["domain"] is NSNull, "\(memory)")
        #expect((memory["hosts"] as? [[String: Any]])?.first?["applied"] as? Bool == false, "\(memory)")
        let tlsRPT = try #require(json["tls_rpt"] as? [String: Any])
        #expect(tlsRPT["record"] is NSNull && tlsRPT["dnssec"] as? String == "secure", "\(tlsRPT)")
    }

    static let stsID = "20240101T000000"

    @Test("--mx with an enforce MTA-STS policy that lists only mx1: mx2 reported as excluded, the queue's cache, memory and TLS-RPT shown, exit 1")
    func mxMTASTSEnforceExcludesHost() async throws {
        let lab = try OutboundLab(dane: false, destRecords: OutboundLab.mtaSTSRecords(id: Self.stsID, policyHost: Self.policyHost) + [
            "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@dest.test,https://reports.dest.test/tlsrpt\"",
        ])
        defer { lab.cleanUp() }
        let policyHost = try lab.startPolicyServer(OutboundLab.policy(mode: "enforce", mx: ["mx1.dest.test"]), host: Self.policyHost)
        let mx1 = try lab.startMX("127.0.0.2")
        let mx2 = try lab.startMX("127.0.0.3")
        // One real delivery first, so the queue has cached the policy and seen mx1.
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        #expect(await mx1.waitForMessages(1).count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
        let queue = lab.loft.directory.path + "/data/queue"

        let result = try await Self.checkMX(lab, "dest.test")
        let text = result.output
        #expect(result.status == 1, "\(text) \(result.errors)")
        #expect(text.contains("Verdict: mx2.dest.test: not in the MTA-STS policy of dest.test (mta-sts enforce (id \(Self.stsID)), "
                              + "mx mx1.dest.test); the queue skips it"), "\(text)")
        #expect(text.contains("MTA-STS (RFC 8461):\n  _mta-sts.dest.test TXT (DNSSEC: secure): \"v=STSv1; id=\(Self.stsID)\": "
                              + "id \(Self.stsID)\n"), "\(text)")
        #expect(text.contains("  policy served at https://mta-sts.dest.test/.well-known/mta-sts.txt: mode enforce, "
                              + "mx mx1.dest.test, max_age 86400\n"), "\(text)")
        #expect(text.contains("  the queue's cache (\(queue)/mta-sts/dest.test.json): id \(Self.stsID), mode enforce, "
                              + "mx mx1.dest.test, max_age 86400, fetched "), "\(text)")
        #expect(text.contains("  the queue applies: mta-sts enforce (id \(Self.stsID)), the cached policy\n"), "\(text)")
        #expect(text.contains("  mx1.dest.test: listed in the policy; certificate PKIX-valid for mx1.dest.test\n"), "\(text)")
        #expect(text.contains("  mx2.dest.test: not listed in the policy; not contacted: the queue skips it\n"), "\(text)")
        #expect(text.contains("The queue's TLS plan: mta-sts enforce (id \(Self.stsID))\n"), "the plan the queue uses: \(text)")
        #expect(text.contains("The queue: delivers over TLS, certificate verified for mx1.dest.test"), "\(text)")
        #expect(text.contains("  mx1.dest.test: best verified, seen 1x, not pinned yet, last contact "), "\(text)")
        #expect(text.contains("TLS-RPT (RFC 8460): _smtp._tls.dest.test TXT (DNSSEC: secure): \"v=TLSRPTv1; "
                              + "rua=mailto:tlsrpt@dest.test,https://reports.dest.test/tlsrpt\": daily reports go to tlsrpt@dest.test"),
                "\(text)")
        #expect(mx2.received().isEmpty)

        let json = try Self.json(try await Self.checkMX(lab, "dest.test", json: true))
        #expect(json["status"] as? String == "broken")
        #expect(json["exit_code"] as? Int == 1)
        let hosts = try #require(json["hosts"] as? [[String: Any]])
        #expect(hosts.first?["plan"] as? String == "mta-sts enforce (id \(Self.stsID))", "\(hosts)")
        #expect((hosts.last?["skipped"] as? String)?.contains("not an MX host the MTA-STS policy of dest.test allows") == true, "\(hosts)")
        let sts = try #require(json["mta_sts"] as? [String: Any])
        let record = try #require(sts["record"] as? [String: Any])
        #expect(record["status"] as? String == "found" && record["id"] as? String == Self.stsID, "\(record)")
        #expect(record["dnssec"] as? String == "secure")
        #expect(sts["policy_url"] as? String == "https://mta-sts.dest.test/.well-known/mta-sts.txt")
        let fetched = try #require(sts["fetched"] as? [String: Any], "\(sts)")
        #expect(fetched["mode"] as? String == "enforce" && fetched["mx"] as? [String] == ["mx1.dest.test"], "\(fetched)")
        #expect(fetched["max_age"] as? Int == 86400)
        #expect(sts["fetch_error"] is NSNull)
        let cache = try #require(sts["cache"] as? [String: Any], "\(sts)")
        #expect(cache["path"] as? String == queue + "/mta-sts/dest.test.json")
        #expect((cache["policy"] as? [String: Any])?["id"] as? String == Self.stsID, "\(cache)")
        let applied = try #require(sts["applied"] as? [String: Any], "\(sts)")
        #expect(applied["id"] as? String == Self.stsID && applied["mode"] as? String == "enforce", "\(applied)")
        #expect(applied["expires"] is String)
        #expect(sts["consulted"] as? Bool == true)
        let judged = try #require(sts["hosts"] as? [[String: Any]])
        #expect(judged.compactMap { $0["name"] as? String } == ["mx1.dest.test", "mx2.dest.test"])
        #expect(judged.first?["allowed"] as? Bool == true && judged.first?["certificate_valid"] as? Bool == true, "\(judged)")
        #expect(judged.last?["allowed"] as? Bool == false && judged.last?["certificate_valid"] is NSNull, "\(judged)")
        let tlsRPT = try #require(json["tls_rpt"] as? [String: Any])
        #expect(tlsRPT["name"] as? String == "_smtp._tls.dest.test")
        #expect(tlsRPT["mailto"] as? [String] == ["tlsrpt@dest.test"], "\(tlsRPT)")
        let memory = try #require(json["downgrade_memory"] as? [String: Any])
        #expect(memory["path"] as? String == queue + "/tls-memory.json")
        let mx1Memory = try #require((memory["hosts"] as? [[String: Any]])?.first)
        let entry = try #require(mx1Memory["entry"] as? [String: Any], "\(mx1Memory)")
        #expect(entry["best"] as? String == "verified" && entry["pinned"] as? Bool == false, "\(entry)")
        #expect(mx1Memory["pinned_level"] is NSNull)
        // Two checks, one delivery: the policy host saw the queue's fetch and one per check.
        #expect(policyHost.requestCount == 3, "\(policyHost.log)")
    }

    @Test("--mx under an MTA-STS policy in testing mode, MX certificates from an unknown CA: exit 0, warnings say what enforcing would refuse; with the policy host down, that the policy cannot be had")
    func mxMTASTSTesting() async throws {
        let lab = try OutboundLab(dane: false, destRecords: OutboundLab.mtaSTSRecords(id: Self.stsID, policyHost: Self.policyHost), mxCertificateFromUnknownCA: true)
        defer { lab.cleanUp() }
        let policyHost = try lab.startPolicyServer(OutboundLab.policy(mode: "testing", mx: ["*.dest.test"]), host: Self.policyHost)
        try lab.startMX("127.0.0.2")
        try lab.startMX("127.0.0.3")
        let result = try await Self.checkMX(lab, "dest.test")
        let text = result.output
        #expect(result.status == 0, "opportunistic TLS still delivers: \(text) \(result.errors)")
        #expect(text.contains("The queue's TLS plan: may, mta-sts testing (id \(Self.stsID))\n"), "\(text)")
        #expect(text.contains("  - mx1.dest.test [127.0.0.2]: enforcing the MTA-STS policy (mta-sts testing (id \(Self.stsID))) "
                              + "would refuse it: the certificate is not valid for mx1.dest.test: "), "\(text)")
        #expect(text.contains("  mx2.dest.test: listed in the policy; certificate not PKIX-valid for mx2.dest.test: 127.0.0.3: "),
                "\(text)")
        #expect(text.contains("  the queue's cache (\(lab.loft.directory.path)/data/queue/mta-sts/dest.test.json): "
                              + "nothing cached for dest.test\n"), "\(text)")
        #expect(text.contains("  the queue applies: mta-sts testing (id \(Self.stsID)), the policy fetched now\n"), "\(text)")

        policyHost.stop()
        let down = try await Self.checkMX(lab, "dest.test", json: true)
        #expect(down.status == 0, "\(down.output)")
        let json = try Self.json(down)
        let warnings = try #require(json["warnings"] as? [String])
        #expect(warnings.contains { $0.hasPrefix("dest.test publishes an MTA-STS record (id \(Self.stsID)) but its policy cannot be "
                                                 + "fetched (MTA-STS policy fetch failed: mta-sts.dest.test [\(Self.policyHost)]: ") &&
                                    $0.hasSuffix("): the queue delivers as if dest.test had no MTA-STS policy") }, "\(warnings)")
        let sts = try #require(json["mta_sts"] as? [String: Any])
        #expect(sts["fetched"] is NSNull && sts["applied"] is NSNull, "\(sts)")
        #expect((sts["fetch_error"] as? String)?.contains("mta-sts.dest.test [\(Self.policyHost)]") == true, "\(sts)")
        #expect((json["hosts"] as? [[String: Any]])?.first?["plan"] as? String == "may", "no policy, no MTA-STS in the plan")
    }

    @Test("--mx when the downgrade memory pinned mx1 at verified and it now offers no STARTTLS: the verdict names the STRIPTLS suspect, exit 1")
    func mxStripTLSSuspect() async throws {
        let lab = try OutboundLab(dane: false)
        defer { lab.cleanUp() }
        // What two deliveries a day apart would have left: mx1 (and so dest.test) seen CA-verified twice.
        let queue = lab.loft.directory.path + "/data/queue"
        try FileManager.default.createDirectory(atPath: queue, withIntermediateDirectories: true)
        let now = Date()
        try TLSMemoryStore(directory: queue).update { memory in
            memory.record(.verified, host: "mx1.dest.test", domain: "dest.test", at: now.addingTimeInterval(-2 * 86400))
            memory.record(.verified, host: "mx1.dest.test", domain: "dest.test", at: now.addingTimeInterval(-86400))
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: queue + "/tls-memory.json"))
        try lab.startMX("127.0.0.2", tls: false)
        try lab.startMX("127.0.0.3")

        let result = try await Self.checkMX(lab, "dest.test")
        let text = result.output
        #expect(result.status == 1, "\(text) \(result.errors)")
        #expect(text.contains("Verdict: mx1.dest.test [127.0.0.2]: STRIPTLS suspect: it offers no STARTTLS, but the host "
                              + "mx1.dest.test was seen CA-verified on earlier deliveries (pinned); the queue defers mail to it "
                              + "(may, pinned verified by host mx1.dest.test) and alerts the postmaster "
                              + "(`loft tls-memory forget mx1.dest.test` if the change is legitimate)"), "\(text)")
        #expect(text.contains("The queue's TLS plan: may, pinned verified by host mx1.dest.test\n"), "\(text)")
        #expect(text.contains("The queue's TLS plan: may, pinned verified by domain dest.test\n"), "mx2 by the domain: \(text)")
        #expect(text.contains("Downgrade memory (\(queue)/tls-memory.json):\n  domain dest.test: best verified, pinned (2 sightings)"),
                "\(text)")
        #expect(text.contains("  mx1.dest.test: best verified, pinned (2 sightings)"), "\(text)")
        #expect(text.contains("; the queue's plan is pinned at verified (by host mx1.dest.test)\n    127.0.0.2: seen plain now: "
                              + "STRIPTLS suspect\n"), "\(text)")
        #expect(text.contains("  mx2.dest.test: nothing remembered; the queue's plan is pinned at verified (by domain dest.test)\n"
                              + "    127.0.0.3: seen verified now\n"), "\(text)")
        #expect(text.contains("The queue: delivers over TLS, certificate verified for mx2.dest.test"), "mx2 is fine: \(text)")
        #expect(text.contains("_smtp._tls.dest.test TXT (DNSSEC: secure): none: the domain asks for no TLS reports"), "\(text)")
        #expect(text.contains("policy at https://mta-sts.dest.test/.well-known/mta-sts.txt: not fetched (no record)"), "\(text)")

        let json = try Self.json(try await Self.checkMX(lab, "dest.test", json: true))
        #expect(json["status"] as? String == "broken")
        #expect((json["verdict"] as? String)?.hasPrefix("mx1.dest.test [127.0.0.2]: STRIPTLS suspect: ") == true, "\(json)")
        let memory = try #require(json["downgrade_memory"] as? [String: Any])
        let domain = try #require(memory["domain"] as? [String: Any], "\(memory)")
        #expect(domain["pinned"] as? Bool == true && (domain["sightings"] as? [String])?.count == 2, "\(domain)")
        let hosts = try #require(memory["hosts"] as? [[String: Any]])
        let mx1 = try #require(hosts.first)
        #expect(mx1["pinned_level"] as? String == "verified" && mx1["pinned_by"] as? String == "host mx1.dest.test", "\(mx1)")
        #expect(mx1["applied"] as? Bool == true)
        #expect((mx1["entry"] as? [String: Any])?["best"] as? String == "verified", "\(mx1)")
        let address = try #require((mx1["addresses"] as? [[String: Any]])?.first)
        #expect(address["seen_now"] as? String == "plain" && address["striptls_suspect"] as? Bool == true, "\(address)")
        let mx2 = try #require(hosts.last)
        #expect(mx2["entry"] is NSNull && mx2["pinned_by"] as? String == "domain dest.test", "\(mx2)")
        #expect((mx2["addresses"] as? [[String: Any]])?.first?["striptls_suspect"] as? Bool == false, "\(mx2)")
        #expect((json["tls_rpt"] as? [String: Any])?["record"] is NSNull)
        #expect(((json["mta_sts"] as? [String: Any])?["record"] as? [String: Any])?["status"] as? String == "absent")
        let after = try Data(contentsOf: URL(fileURLWithPath: queue + "/tls-memory.json"))
        #expect(after == before, "the check reads the memory, never writes it")
    }

    @Test("--mx with TLSA records that do not match the certificate: exit 1, the verdict names the mismatch and the deferral")
    func mxDANEMismatch() async throws {
        let lab = try OutboundLab(tlsa: "3 1 1 " + String(repeating: "00", count: 32))
        defer { lab.cleanUp() }
        try lab.startMX("127.0.0.2")
        try lab.startMX("127.0.0.3")
        let result = try await Self.checkMX(lab, "dest.test")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("Verdict: mx1.dest.test [127.0.0.2]: TLSA records do not match the certificate; "
                                       + "the queue defers mail to it (may: dane (1 usable TLSA))"), "\(result.output)")
        #expect(result.output.contains("also: mx2.dest.test [127.0.0.3]: TLSA records do not match"), "\(result.output)")
        let json = try Self.json(try await Self.checkMX(lab, "dest.test", json: true))
        #expect(json["status"] as? String == "broken")
        let address = try #require(((json["hosts"] as? [[String: Any]])?.first?["addresses"] as? [[String: Any]])?.first)
        #expect(address["dane"] as? String == "mismatch")
        #expect(address["status"] as? String == "broken")
        #expect(address["queue_action"] as? String == "defers mail to it (may: dane (1 usable TLSA))", "\(address)")
    }

    @Test("--mx for an MX without STARTTLS (unsigned zone): reported plainly, exit 1")
    func mxWithoutSTARTTLS() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        try lab.startMX("127.0.0.4", tls: false)
        let result = try await Self.checkMX(lab, "plain.test")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("MX records (DNSSEC: insecure)"), "\(result.output)")
        #expect(result.output.contains("TLSA: not looked up: the host is not DNSSEC-secure"), "\(result.output)")
        #expect(result.output.contains("STARTTLS not offered"), "\(result.output)")
        #expect(result.output.contains("The queue: sends mail to it in plaintext"), "\(result.output)")
        #expect(result.output.contains(
            "Verdict: mx.plain.test [127.0.0.4] does not offer STARTTLS; the queue sends mail to it in plaintext"), "\(result.output)")
        let json = try Self.json(try await Self.checkMX(lab, "plain.test", json: true))
        let address = try #require(((json["hosts"] as? [[String: Any]])?.first?["addresses"] as? [[String: Any]])?.first)
        #expect(address["starttls_offered"] as? Bool == false)
        #expect(address["tls"] is NSNull)
        #expect(address["dane"] is NSNull)
    }

    @Test("--mx for a null MX domain and for a domain that does not exist: said plainly (exit 0 and 2)")
    func mxNullAndNXDOMAIN() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let nullMX = try await Self.checkMX(lab, "nomail.test")
        #expect(nullMX.status == 0, "\(nullMX.output)")
        #expect(nullMX.output.contains("0 . (null MX: no mail accepted)"), "\(nullMX.output)")
        #expect(nullMX.output.contains("Verdict: nomail.test accepts no mail (null MX, RFC 7505)"), "\(nullMX.output)")
        let json = try Self.json(try await Self.checkMX(lab, "nomail.test", json: true))
        #expect((json["mx"] as? [String: Any])?["null_mx"] as? Bool == true)
        #expect(json["dns_outcome"] as? String == "undeliverable")
        #expect((json["hosts"] as? [Any])?.isEmpty == true)

        let missing = try await Self.checkMX(lab, "nosuch.dest.test")
        #expect(missing.status == 2, "\(missing.output)")
        #expect(missing.output.contains("nosuch.dest.test does not exist (NXDOMAIN, DNSSEC: secure)"), "\(missing.output)")
        #expect(missing.output.contains("Verdict: the domain nosuch.dest.test does not exist (NXDOMAIN)"), "\(missing.output)")
    }
}

/// An `openssl s_server` on 127.0.0.1 (port chosen by the kernel) with a given certificate, stopped
/// by its PID.
private final class SServer {
    let port: Int
    private let process: Process
    private let outputPath: String

    private init(port: Int, process: Process, outputPath: String) {
        self.port = port
        self.process = process
        self.outputPath = outputPath
    }

    static func start(_ arguments: [String]) async throws -> SServer {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("loft-s_server-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:0", "-rev"] + arguments
        process.standardInput = FileHandle.nullDevice
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            // s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT 127.0.0.1:") }),
               let port = Int(line.dropFirst("ACCEPT 127.0.0.1:".count)) {
                return SServer(port: port, process: process, outputPath: outputPath)
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw Failure("openssl s_server did not start: \(text)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGKILL: children of the test runner ignore SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}
