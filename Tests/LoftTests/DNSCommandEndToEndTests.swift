import DNS
import Foundation
import Testing
import TestSupport

/// `loft dns` as an admin uses it: print the records, publish them in a real DNSSEC-signed zone (nsd), and
/// `loft dns --check` through the validating resolver of `[dns]`; then zones that are wrong in the ways
/// admins get them wrong (a record left out, a stale TLSA after a key change, an unsigned zone).
@Suite(.serialized) struct DNSCommandEndToEndTests {
    /// Four listeners: no POP3, so its SRV records must say "not offered".
    static let listeners = [("imap", "starttls"), ("imap", "implicit"), ("submission", "starttls"), ("submission", "implicit")]

    struct Setup {
        let server: LoftProcess
        let ports: [Int]

        func dns(_ arguments: [String]) async throws -> Subprocess.Result {
            try await Subprocess.run(LoftProcess.executable, ["dns"] + arguments + ["--config", server.configPath], timeout: .seconds(120))
        }
    }

    /// A config for mail.example.org with the four listeners on fixed ports, a certificate, and `[dns]`
    /// pointing at `dns` (trusting its signed zones); `extra` is appended.
    static func setup(_ dns: TestDNSServer?, extra: String = "") async throws -> Setup {
        let listeners = try DoctorEndToEndTests.listeners(Self.listeners)
        let dnsSection = dns.map { server in
            "\n[dns]\nforwarders = [\"\(server.forwarder)\"]\ntrust_anchors = ["
                + server.trustAnchors().map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
        } ?? ""
        let server = try LoftProcess(listeners: [], extraConfig: listeners.toml + dnsSection + extra)
        try await server.makeCertificate()
        // Two DKIM keys: one signing (RSA), one staged (Ed25519, sign = false); both are published.
        var dkim = ""
        for (selector, algorithm, openssl, sign) in [("s1", "rsa-sha256", "RSA", true), ("s2", "ed25519-sha256", "ED25519", false)] {
            let path = server.directory.appendingPathComponent("\(selector).key").path
            let generated = try await Subprocess.run("openssl", ["genpkey", "-algorithm", openssl, "-out", path])
            guard generated.status == 0 else { throw Failure("openssl genpkey: \(generated.errors)") }
            dkim += "\n[[dkim]]\ndomain = \"example.org\"\nselector = \"\(selector)\"\nalgorithm = \"\(algorithm)\"\nkey_file = \"\(path)\"\nsign = \(sign)\n"
        }
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        try (config + dkim).write(toFile: server.configPath, atomically: true, encoding: .utf8)
        return Setup(server: server, ports: listeners.ports)
    }

    /// The public key of a DKIM key file as its TXT record's `p=` must carry it, computed with openssl:
    /// RSA's DER SubjectPublicKeyInfo, Ed25519's raw 32 bytes (the end of its SubjectPublicKeyInfo).
    static func publicKey(_ setup: Setup, _ selector: String, raw: Bool) async throws -> String {
        let path = setup.server.directory.appendingPathComponent("\(selector).key").path
        let tail = raw ? " | tail -c 32" : ""
        let result = try await Subprocess.run("/bin/sh", ["-c", "openssl pkey -in '\(path)' -pubout -outform DER\(tail) | base64 -w0"])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The resource records of `loft dns` output (comments and blank lines dropped).
    static func recordLines(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") && !$0.isEmpty }
    }

    /// A zone for example.org holding `records` (zone-file lines with absolute names) and mail's address.
    static func zone(_ records: [String], signed: Bool = true) -> TestDNSZone {
        TestDNSZone(origin: "example.org", records: records + ["mail IN A 127.0.0.1"], signed: signed)
    }

    @Test("the printed records: MX, SPF, DKIM for both keys (p= as openssl computes it), DMARC, TLS-RPT, TLSA 3 1 1 of the certificate's key, SRV with the listeners' ports and '.' for POP3")
    func printsTheRecords() async throws {
        let setup = try await Self.setup(nil)
        defer { setup.server.cleanUpNow() }
        let result = try await setup.dns(["example.org"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = Self.recordLines(result.output)
        let spki = try await Subprocess.run("/bin/sh", ["-c",
            "openssl x509 -in '\(setup.server.certificatePath)' -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r"])
        let digest = try #require(spki.output.split(separator: " ").first.map(String.init))
        let (imap, imaps, submission, submissions) = (setup.ports[0], setup.ports[1], setup.ports[2], setup.ports[3])
        let rsa = try await Self.publicKey(setup, "s1", raw: false)
        let ed25519 = try await Self.publicKey(setup, "s2", raw: true)
        #expect(rsa.count > 300 && ed25519.count == 44)
        #expect(lines == [
            "example.org.\t3600\tIN\tMX\t10 mail.example.org.",
            "example.org.\t3600\tIN\tTXT\t\"v=spf1 mx -all\"",
            "s1._domainkey.example.org.\t3600\tIN\tTXT\t" + TXTRecordText.zoneFile("v=DKIM1; k=rsa; p=\(rsa)"),
            "s2._domainkey.example.org.\t3600\tIN\tTXT\t\"v=DKIM1; k=ed25519; p=\(ed25519)\"",
            "_dmarc.example.org.\t3600\tIN\tTXT\t\"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org\"",
            "_smtp._tls.example.org.\t3600\tIN\tTXT\t\"v=TLSRPTv1; rua=mailto:postmaster@example.org\"",
            "_25._tcp.mail.example.org.\t3600\tIN\tTLSA\t3 1 1 \(digest)",
            "_submissions._tcp.example.org.\t3600\tIN\tSRV\t0 1 \(submissions) mail.example.org.",
            "_submission._tcp.example.org.\t3600\tIN\tSRV\t10 1 \(submission) mail.example.org.",
            "_imaps._tcp.example.org.\t3600\tIN\tSRV\t0 1 \(imaps) mail.example.org.",
            "_imap._tcp.example.org.\t3600\tIN\tSRV\t10 1 \(imap) mail.example.org.",
            "_pop3s._tcp.example.org.\t3600\tIN\tSRV\t0 0 0 .",
            "_pop3._tcp.example.org.\t3600\tIN\tSRV\t0 0 0 .",
        ])
    }

    @Test("a zone with exactly the printed records checks out: every record ok, the zone DNSSEC-signed, exit 0; JSON says the same")
    func completeZone() async throws {
        let setup = try await Self.setup(nil)
        defer { setup.server.cleanUpNow() }
        let printed = Self.recordLines(try await setup.dns(["example.org"]).output)
        let dns = try TestDNSServer(zones: [Self.zone(printed)])
        defer { dns.stop() }
        let checked = try await Self.setup(dns)
        defer { checked.server.cleanUpNow() }
        // The second setup has other listener ports and its own certificate: publish what it prints.
        let records = Self.recordLines(try await checked.dns(["example.org"]).output)
        try dns.replace(zone: Self.zone(records))

        let result = try await checked.dns(["example.org", "--check"])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("the zone is DNSSEC-signed and validates"))
        #expect(result.output.contains("All \(records.count) records are published"))
        #expect(!result.output.contains("MISSING") && !result.output.contains("DIFFERENT"))

        let json = try await checked.dns(["example.org", "--check", "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["dnssec"] as? String == "secure")
        let verdicts = try #require(object["records"] as? [[String: Any]])
        #expect(verdicts.count == records.count)
        #expect(verdicts.allSatisfy { $0["verdict"] as? String == "correct" })
    }

    @Test("DMARC left out and SPF changed: MISSING and DIFFERENT with what is published, exit 1")
    func missingAndDifferent() async throws {
        let dns = try TestDNSServer(zones: [Self.zone([])])
        defer { dns.stop() }
        let setup = try await Self.setup(dns)
        defer { setup.server.cleanUpNow() }
        var records = Self.recordLines(try await setup.dns(["example.org"]).output)
        records.removeAll { $0.hasPrefix("_dmarc.") }
        records = records.map { $0.contains("v=spf1") ? "example.org. 3600 IN TXT \"v=spf1 a -all\"" : $0 }
        try dns.replace(zone: Self.zone(records))

        let result = try await setup.dns(["example.org", "--check"])
        #expect(result.status == 1, "\(result.output)\(result.errors)")
        let text = result.output
        #expect(text.contains("  MISSING    _dmarc.example.org. TXT \"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org\""))
        #expect(text.contains("  DIFFERENT  example.org. TXT \"v=spf1 mx -all\"\n             published: \"v=spf1 a -all\""))
        #expect(text.contains("  ok         example.org. MX 10 mail.example.org."))
        #expect(text.contains("2 of \(records.count + 1) records need attention."))
    }

    @Test("a zone missing the signing DKIM key, and one whose staged key record holds another key: MISSING and DIFFERENT, exit 1")
    func missingAndStaleDKIM() async throws {
        let dns = try TestDNSServer(zones: [Self.zone([])])
        defer { dns.stop() }
        let setup = try await Self.setup(dns)
        defer { setup.server.cleanUpNow() }
        let records = Self.recordLines(try await setup.dns(["example.org"]).output)
        let withoutDKIM = records.filter { !$0.hasPrefix("s1._domainkey.") }
        #expect(withoutDKIM.count == records.count - 1)
        try dns.replace(zone: Self.zone(withoutDKIM))
        let missing = try await setup.dns(["example.org", "--check"])
        #expect(missing.status == 1, "\(missing.output)")
        #expect(missing.output.contains("  MISSING    s1._domainkey.example.org. TXT \"v=DKIM1; k=rsa; p="))
        #expect(missing.output.contains("  ok         s2._domainkey.example.org. TXT"))
        #expect(missing.output.contains("1 of \(records.count) records need attention."))

        // The staged key was regenerated after its record went out: the published p= is the old key's.
        let published = records.first { $0.hasPrefix("s2._domainkey.") }!
        let keyPath = setup.server.directory.appendingPathComponent("s2.key").path
        try FileManager.default.removeItem(atPath: keyPath)
        #expect(try await Subprocess.run("openssl", ["genpkey", "-algorithm", "ED25519", "-out", keyPath]).status == 0)
        try dns.replace(zone: Self.zone(records))
        let stale = try await setup.dns(["example.org", "--check"])
        #expect(stale.status == 1, "\(stale.output)")
        #expect(stale.output.contains("  DIFFERENT  s2._domainkey.example.org. TXT \"v=DKIM1; k=ed25519; p=\(try await Self.publicKey(setup, "s2", raw: true))\""))
        #expect(stale.output.contains("published: " + String(published.split(separator: "\t").last!)))
        #expect(stale.output.contains("p=") && stale.output.contains("want p="))
    }

    @Test("with an https listener: _mta-sts with the id of the served policy, mta-sts. and autoconfig. pointing at the host; a stale id is DIFFERENT")
    func mtaSTS() async throws {
        let dns = try TestDNSServer(zones: [Self.zone([])])
        defer { dns.stop() }
        let https = "\n[[listener]]\nprotocol = \"https\"\naddress = \"127.0.0.1:\(try FreePort.loopback())\"\ntls = \"implicit\"\n"
        let setup = try await Self.setup(dns, extra: https)
        defer { setup.server.cleanUpNow() }
        let records = Self.recordLines(try await setup.dns(["example.org"]).output)
        // RFC 8461 §3.1 id: Loft's is the start of the SHA-256 of the policy it serves (the defaults here).
        let digest = try await Subprocess.run("/bin/sh", ["-c",
            "printf 'version: STSv1\\r\\nmode: testing\\r\\nmx: mail.example.org\\r\\nmax_age: 604800\\r\\n' | openssl dgst -sha256 -r"])
        let id = String(digest.output.prefix(20))
        #expect(records.contains("_mta-sts.example.org.\t3600\tIN\tTXT\t\"v=STSv1; id=\(id)\""), "\(records)")
        #expect(records.contains("mta-sts.example.org.\t3600\tIN\tCNAME\tmail.example.org."))
        #expect(records.contains("autoconfig.example.org.\t3600\tIN\tCNAME\tmail.example.org."))

        try dns.replace(zone: Self.zone(records))
        let complete = try await setup.dns(["example.org", "--check"])
        #expect(complete.status == 0, "\(complete.output)")

        // The policy changed (mode enforce) but the TXT record still carries the old id.
        var config = try String(contentsOfFile: setup.server.configPath, encoding: .utf8)
        config += "\n[mta_sts]\nmode = \"enforce\"\n"
        try config.write(toFile: setup.server.configPath, atomically: true, encoding: .utf8)
        let stale = try await setup.dns(["example.org", "--check"])
        #expect(stale.status == 1, "\(stale.output)")
        #expect(stale.output.contains("  DIFFERENT  _mta-sts.example.org. TXT"))
        #expect(stale.output.contains("id=\(id), want id="))
    }

    @Test("a TLSA record for the previous key: DIFFERENT, called stale; the staged next key ([tls] next_key) is printed and checked too")
    func staleTLSAAndStagedKey() async throws {
        let dns = try TestDNSServer(zones: [Self.zone([])])
        defer { dns.stop() }
        let setup = try await Self.setup(dns)
        defer { setup.server.cleanUpNow() }
        let before = Self.recordLines(try await setup.dns(["example.org"]).output)
        try dns.replace(zone: Self.zone(before))
        #expect(try await setup.dns(["example.org", "--check"]).status == 0)

        // The certificate is replaced with one on a new key; DNS still has the old key's TLSA.
        try await setup.server.makeCertificate()
        let result = try await setup.dns(["example.org", "--check"])
        #expect(result.status == 1, "\(result.output)")
        let oldTLSA = try #require(before.first { $0.contains("TLSA") }?.split(separator: "\t").last)
        #expect(result.output.contains("  DIFFERENT  _25._tcp.mail.example.org. TLSA 3 1 1 "))
        #expect(result.output.contains("published: \(oldTLSA)"))
        #expect(result.output.contains("stale: no TLSA record matches this key"))

        // Staging the next key before a switch: both TLSA records are printed; publishing both is correct.
        let nextKey = setup.server.directory.appendingPathComponent("next-key.pem").path
        let generated = try await Subprocess.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", nextKey])
        #expect(generated.status == 0)
        var config = try String(contentsOfFile: setup.server.configPath, encoding: .utf8)
        config = config.replacingOccurrences(of: "[tls]\n", with: "[tls]\nnext_key = \"\(nextKey)\"\n")
        try config.write(toFile: setup.server.configPath, atomically: true, encoding: .utf8)
        let staged = Self.recordLines(try await setup.dns(["example.org"]).output)
        #expect(staged.filter { $0.contains("\tTLSA\t3 1 1 ") }.count == 2)
        try dns.replace(zone: Self.zone(staged))
        let after = try await setup.dns(["example.org", "--check"])
        #expect(after.status == 0, "\(after.output)")
    }

    @Test("an unsigned zone: the TLSA record is there but useless without DNSSEC, and the report says the zone is not signed")
    func unsignedZone() async throws {
        let setup = try await Self.setup(nil)
        defer { setup.server.cleanUpNow() }
        let records = Self.recordLines(try await setup.dns(["example.org"]).output)
        // The resolver's only trust anchor is another zone's (the root's would make every answer from nsd
        // bogus): example.org is then provably outside any signed tree, as an unsigned zone is.
        let dns = try TestDNSServer(zones: [
            Self.zone(records, signed: false), TestDNSZone(origin: "anchor.test", records: ["@ IN TXT \"anchor\""]),
        ])
        defer { dns.stop() }
        let anchors = dns.trustAnchors().map { "\"\($0)\"" }.joined(separator: ", ")
        let config = try String(contentsOfFile: setup.server.configPath, encoding: .utf8)
        try (config + "\n[dns]\nforwarders = [\"\(dns.forwarder)\"]\ntrust_anchors = [\(anchors)]\ntransparent_zones = [\"anchor.test.\"]\n")
            .write(toFile: setup.server.configPath, atomically: true, encoding: .utf8)

        let result = try await setup.dns(["example.org", "--check"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("the zone is not DNSSEC-signed"))
        #expect(result.output.contains("sending servers ignore TLSA records without DNSSEC"))
        #expect(result.output.contains("1 of \(records.count) records need attention."))
    }

    @Test("a domain that is not local, and --json without --check, are refused (exit 2 and a usage error)")
    func refusals() async throws {
        let setup = try await Self.setup(nil)
        defer { setup.server.cleanUpNow() }
        let foreign = try await setup.dns(["example.net"])
        #expect(foreign.status == 2)
        #expect(foreign.errors.contains("example.net is not a local domain of this server (local domains: example.org)"))
        let json = try await setup.dns(["example.org", "--json"])
        #expect(json.status != 0)
        #expect(json.errors.contains("--json goes with --check"))
    }
}
