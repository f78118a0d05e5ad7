import Foundation
import Testing
import TestSupport

/// `loft doctor` as an admin runs it: the real binary against a running `loft serve` with the same config,
/// and against configs that are wrong in the ways the issue names (ports taken, files missing, data_dir
/// not writable, DNSSEC failing). DNS goes to nsd serving a signed zone, so the result does not depend on
/// this machine's network.
@Suite(.serialized) struct DoctorEndToEndTests {
    static let sixListeners = [
        ("pop3", "starttls"), ("pop3", "implicit"), ("imap", "starttls"), ("imap", "implicit"),
        ("submission", "starttls"), ("submission", "implicit"),
    ]

    static func doctor(_ server: LoftProcess, _ arguments: [String] = []) async throws -> Subprocess.Result {
        try await Subprocess.run(LoftProcess.executable, ["doctor", "--config", server.configPath, "--timeout", "5"] + arguments,
                                 timeout: .seconds(120))
    }

    static func json(_ result: Subprocess.Result) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: result.stdout)
        return try #require(object as? [String: Any], "not a JSON object: \(result.output)")
    }

    /// A signed zone whose DS is the resolver's trust anchor; `corrupt` breaks every signature (bogus).
    static func dnsServer(corrupt: Bool = false) throws -> TestDNSServer {
        try TestDNSServer(zones: [TestDNSZone(origin: "anchor.test", records: ["@ IN TXT \"doctor\""], corruptSignatures: corrupt)])
    }

    static func dnsSection(_ dns: TestDNSServer) -> String {
        let anchors = dns.trustAnchors().map { "\"\($0)\"" }.joined(separator: ", ")
        return "\n[dns]\nforwarders = [\"\(dns.forwarder)\"]\ntrust_anchors = [\(anchors)]\ntransparent_zones = [\"anchor.test.\"]\n"
    }

    /// `[[listener]]` entries on fixed free ports (doctor reads ports from the config, so port 0 will not do).
    static func listeners(_ entries: [(String, String)], extra: String = "") throws -> (toml: String, ports: [Int]) {
        var toml = ""
        var ports: [Int] = []
        for (proto, tls) in entries {
            let port = try TestMX.freePort()
            ports.append(port)
            toml += "\n[[listener]]\nprotocol = \"\(proto)\"\naddress = \"127.0.0.1:\(port)\"\ntls = \"\(tls)\"\n\(extra)"
        }
        return (toml, ports)
    }

    /// nsd with the signed anchor zone (`corrupt`: every signature broken), a config with `entries` on fixed
    /// ports and the `[dns]` section pointing at it (and `extraConfig`), and a self-signed certificate for a year.
    struct Stack {
        let dns: TestDNSServer
        let listeners: (toml: String, ports: [Int])
        let server: LoftProcess

        func cleanUp() {
            server.cleanUpNow()
            dns.stop()
        }
    }

    static func stack(_ entries: [(String, String)], corrupt: Bool = false, extraConfig: String = "") async throws -> Stack {
        let dns = try dnsServer(corrupt: corrupt)
        do {
            let listeners = try Self.listeners(entries)
            let server = try LoftProcess(listeners: [], extraConfig: listeners.toml + dnsSection(dns) + extraConfig)
            let stack = Stack(dns: dns, listeners: listeners, server: server)
            do {
                try await makeCertificate(server, days: 365)
            } catch {
                stack.cleanUp()
                throw error
            }
            return stack
        } catch {
            dns.stop()
            throw error
        }
    }

    /// A certificate for `name` valid `days` days, self-signed, over the server's files.
    static func makeCertificate(_ server: LoftProcess, name: String = "mail.example.org", days: Int) async throws {
        let result = try await Subprocess.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "\(days)",
            "-subj", "/CN=\(name)", "-addext", "subjectAltName=DNS:\(name),IP:127.0.0.1",
            "-keyout", server.certificateKeyPath, "-out", server.certificatePath,
        ])
        guard result.status == 0 else { throw Failure("openssl req failed: \(result.errors)") }
    }

    @Test("a running loft with six listeners: each reported with its TLS mode, served by loft, probed OK; exit 0; JSON has them all")
    func runningServer() async throws {
        let stack = try await Self.stack(Self.sixListeners)
        defer { stack.cleanUp() }
        let (listeners, server) = (stack.listeners, stack.server)
        try await server.start(expectedListeners: 6)
        let pid = try #require(server.process?.processIdentifier)

        let result = try await Self.doctor(server)
        let text = result.output
        #expect(result.status == 0, "\(text) \(result.errors)")
        for ((proto, tls), port) in zip(Self.sixListeners, listeners.ports) {
            #expect(text.contains("\(proto) listener 127.0.0.1:\(port)\n  TLS       \(tls == "implicit" ? "implicit TLS" : "STARTTLS"), "
                                  + "TLS 1.2 minimum, plaintext auth refused before TLS\n  port      served by loft (pid \(pid))\n"
                                  + "  probe     OK: "), "\(proto) \(tls): \(text)")
        }
        #expect(text.contains("before TLS  STARTTLS offered, LOGINDISABLED, AUTH none"), "IMAP hides LOGIN before TLS: \(text)")
        #expect(text.contains("versions  1.0 refused, 1.1 refused, 1.2 accepted, 1.3 accepted"), "\(text)")
        #expect(text.contains("key       \(server.certificateKeyPath) matches the certificate"), "\(text)")
        #expect(text.contains("names     DNS:mail.example.org, IP:127.0.0.1 (covers mail.example.org: yes)"), "\(text)")
        #expect(text.contains("writable by user \"root\""), "\(text)")
        #expect(text.contains("DNSSEC         yes: anchor.test is secure"), "\(text)")
        #expect(!text.contains("PROBLEM"), "\(text)")
        #expect(!text.contains("expires in"), "a certificate with a year left: \(text)")
        #expect(text.hasSuffix("0 problems, 1 warning\n"), "only the self-signed certificate: \(text)")

        let json = try Self.json(try await Self.doctor(server, ["--json"]))
        #expect(json["status"] as? String == "ok")
        #expect(json["exit_code"] as? Int == 0)
        let reported = try #require(json["listeners"] as? [[String: Any]])
        #expect(reported.count == 6)
        for (entry, ((proto, tls), port)) in zip(reported, zip(Self.sixListeners, listeners.ports)) {
            #expect(entry["protocol"] as? String == proto)
            #expect(entry["tls"] as? String == tls)
            #expect(entry["port"] as? Int == port)
            #expect(entry["port_state"] as? String == "served_by_loft")
            #expect(entry["pid"] as? Int == Int(pid))
            #expect(entry["min_tls_version"] as? String == "1.2")
            let probe = try #require(entry["probe"] as? [String: Any], "\(entry)")
            #expect(probe["status"] as? String == "ok", "\(probe)")
            #expect(probe["tls_mode"] as? String == tls)
        }
        let dnsReport = try #require(json["dns"] as? [String: Any])
        #expect(dnsReport["validation"] as? String == "validating")
        let certificates = try #require(json["certificates"] as? [[String: Any]])
        #expect(certificates.first?["key_matches"] as? Bool == true)
        #expect(certificates.first?["covers_hostname"] as? Bool == true)
    }

    @Test("certificate files replaced while loft runs: the probe sees the old one served and says to reload")
    func staleCertificate() async throws {
        let stack = try await Self.stack([("imap", "implicit")])
        defer { stack.cleanUp() }
        let (listeners, server) = (stack.listeners, stack.server)
        try await server.start(expectedListeners: 1)
        let before = try await Self.doctor(server)
        #expect(before.status == 0 && !before.output.contains("other than the configured one"), "\(before.output)")

        try await Self.makeCertificate(server, days: 365)
        let result = try await Self.doctor(server)
        #expect(result.output.contains("warning: imap listener 127.0.0.1:\(listeners.ports[0]) serves a certificate other than the "
                                       + "configured one"), "\(result.output)")
        #expect(result.output.contains("reload with SIGHUP"), "\(result.output)")
    }

    @Test("a plaintext (tls = none) listener next to a STARTTLS one: the greeting probed, a warning, exit 0")
    func plaintextListener() async throws {
        let stack = try await Self.stack([("pop3", "none"), ("imap", "starttls")])
        defer { stack.cleanUp() }
        let (listeners, server) = (stack.listeners, stack.server)
        try await server.start(expectedListeners: 2)

        let result = try await Self.doctor(server)
        let text = result.output
        #expect(result.status == 0, "\(text)")
        #expect(text.contains("pop3 listener 127.0.0.1:\(listeners.ports[0])\n  TLS       none (plaintext), plaintext auth refused before TLS\n"
                              + "  port      served by loft"), "\(text)")
        #expect(text.contains("  probe     greeting +OK"), "\(text)")
        #expect(text.contains("warning: pop3 listener 127.0.0.1:\(listeners.ports[0]) has tls = \"none\""), "\(text)")
        #expect(!text.contains("PROBLEM"), "\(text)")
    }

    @Test("a PROXY protocol listener is served by loft but not probed (a probe sends no PROXY header): a warning, exit 0")
    func proxyListener() async throws {
        let dns = try Self.dnsServer()
        defer { dns.stop() }
        let proxied = try Self.listeners([("imap", "implicit")], extra: "proxy_protocol = true\nproxy_trusted = [\"127.0.0.1\"]\n")
        let direct = try Self.listeners([("imap", "starttls")])
        let server = try LoftProcess(listeners: [], extraConfig: proxied.toml + direct.toml + Self.dnsSection(dns))
        defer { server.cleanUpNow() }
        try await Self.makeCertificate(server, days: 365)
        try await server.start(expectedListeners: 2)

        let result = try await Self.doctor(server)
        let text = result.output
        #expect(result.status == 0, "\(text)")
        #expect(text.contains("warning: imap listener 127.0.0.1:\(proxied.ports[0]) is not probed: it expects a PROXY protocol header first"),
                "\(text)")
        #expect(!text.contains("PROBLEM"), "\(text)")
    }

    @Test("an https listener is served by loft but not probed (the probes speak mail protocols): a warning, exit 0")
    func httpsListener() async throws {
        let stack = try await Self.stack([("https", "implicit"), ("imap", "implicit")])
        defer { stack.cleanUp() }
        try await stack.server.start(expectedListeners: 2)

        let result = try await Self.doctor(stack.server)
        let text = result.output
        #expect(result.status == 0, "\(text)")
        #expect(text.contains("warning: https listener 127.0.0.1:\(stack.listeners.ports[0]) is not probed: doctor checks the mail protocols"),
                "\(text)")
        #expect(text.contains("imap listener 127.0.0.1:\(stack.listeners.ports[1])\n  TLS       implicit TLS"), "\(text)")
        #expect(!text.contains("PROBLEM"), "\(text)")
    }

    @Test("an SNI certificate whose key belongs to another certificate: exit 1, that entry named, its key_matches false")
    func sniKeyMismatch() async throws {
        let dns = try Self.dnsServer()
        defer { dns.stop() }
        let listeners = try Self.listeners([("imap", "implicit")])
        let other = try LoftProcess(listeners: [])
        defer { other.cleanUpNow() }
        try await Self.makeCertificate(other, name: "other.example.org", days: 365)
        let server = try LoftProcess(listeners: [], extraConfig: listeners.toml + Self.dnsSection(dns))
        defer { server.cleanUpNow() }
        try await Self.makeCertificate(server, days: 365)
        let sni = "[[tls.sni]]\nhostname = \"other.example.org\"\ncertificate = \"\(other.certificatePath)\"\n"
            + "private_key = \"\(server.certificateKeyPath)\"\n\n"
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "[auth]\n", with: sni + "[auth]\n").write(toFile: server.configPath, atomically: true, encoding: .utf8)

        let result = try await Self.doctor(server)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("TLS certificate for SNI other.example.org"), "\(result.output)")
        #expect(result.output.contains("PROBLEM: tls.sni other.example.org: private key \(server.certificateKeyPath) does not match "
                                       + "certificate \(other.certificatePath)"), "\(result.output)")
        let json = try Self.json(try await Self.doctor(server, ["--json"]))
        let certificates = try #require(json["certificates"] as? [[String: Any]])
        #expect(certificates.map { $0["key_matches"] as? Bool } == [true, false])
        #expect(certificates.map { $0["sni_hostname"] as? String } == [nil, "other.example.org"])
    }

    @Test("no config file and no demo set up yet: says what loft serve will do, exit 0",
          .enabled(if: !FileManager.default.fileExists(atPath: "/etc/loft/loft.toml")))
    func demoNotSetUp() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-doctor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await Subprocess.run(LoftProcess.executable, ["doctor"], currentDirectory: directory)
        #expect(result.status == 0, "\(result.output) \(result.errors)")
        #expect(result.output.contains("no demo in ./loft-data yet: `loft serve` sets the demo up there at its first start"), "\(result.output)")
    }

    @Test("warnings an admin acts on, with exit 0: implicit TLS on 587, plaintext auth, a certificate expiring in 10 days not covering hostname, not running")
    func warnings() async throws {
        let dns = try Self.dnsServer()
        defer { dns.stop() }
        // Doctor never binds: port 587 and 143 only appear in the config.
        let toml = """

            [[listener]]
            protocol = "submission"
            address = "127.0.0.1:587"
            tls = "implicit"

            [[listener]]
            protocol = "imap"
            address = "127.0.0.1:143"
            tls = "starttls"
            allow_plaintext_auth = true

            """
        let server = try LoftProcess(listeners: [], extraConfig: toml + Self.dnsSection(dns))
        defer { server.cleanUpNow() }
        try await Self.makeCertificate(server, name: "other.example.net", days: 10)
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "[tls]\n", with: "[tls]\nmin_version = \"1.3\"\n")
            .write(toFile: server.configPath, atomically: true, encoding: .utf8)

        let result = try await Self.doctor(server)
        let text = result.output
        #expect(result.status == 0, "warnings only: \(text) \(result.errors)")
        #expect(text.contains("warning: submission listener 127.0.0.1:587: port 587 is for STARTTLS by standard (RFC 8314), "
                              + "but this listener has tls = \"implicit\""), "\(text)")
        #expect(text.contains("move it to port 465"), "\(text)")
        #expect(text.contains("warning: imap listener 127.0.0.1:143 has allow_plaintext_auth = true"), "\(text)")
        #expect(text.contains("TLS       STARTTLS, TLS 1.3 minimum, plaintext auth allowed"), "\(text)")
        #expect(text.contains("expires in 9 days") || text.contains("expires in 10 days"), "\(text)")
        #expect(text.contains("does not cover mail.example.org (hostname); it covers other.example.net, 127.0.0.1"), "\(text)")
        #expect(text.contains("(covers mail.example.org: no)"), "\(text)")
        #expect(text.contains("is not running: nothing listens on port 587"), "\(text)")
        #expect(!text.contains("PROBLEM"), "\(text)")

        let json = try Self.json(try await Self.doctor(server, ["--json"]))
        let warnings = try #require(json["warnings"] as? [String])
        #expect(warnings.contains { $0.contains("allow_plaintext_auth = true") })
        #expect((json["problems"] as? [String])?.isEmpty == true)
        let listeners = try #require(json["listeners"] as? [[String: Any]])
        #expect(listeners.map { $0["port_state"] as? String } == ["free", "free"])
        #expect(listeners.allSatisfy { $0["probe"] is NSNull })

        // --require-running: a listener that is not running is broken.
        let strict = try await Self.doctor(server, ["--require-running"])
        #expect(strict.status == 1, "\(strict.output)")
        #expect(strict.output.contains("PROBLEM: submission listener 127.0.0.1:587 is not running"), "\(strict.output)")
    }

    @Test("a listener's port held by another program: exit 1, the program and its pid named")
    func portTakenByAnotherProgram() async throws {
        let stack = try await Self.stack([("imap", "implicit")])
        defer { stack.cleanUp() }
        let (listeners, server) = (stack.listeners, stack.server)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
            open(sys.argv[2], "w").close()
            time.sleep(120)
            """, "\(listeners.ports[0])", server.directory.appendingPathComponent("holding").path]
        try holder.run()
        defer {
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: server.directory.appendingPathComponent("holding").path) {
            guard ContinuousClock.now < deadline, holder.isRunning else { throw Failure("python did not bind the port") }
            try await Task.sleep(for: .milliseconds(20))
        }

        let result = try await Self.doctor(server)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("port      in use by python3 (pid \(holder.processIdentifier))"), "\(result.output)")
        #expect(result.output.contains("PROBLEM: imap listener 127.0.0.1:\(listeners.ports[0]): port \(listeners.ports[0]) is in use "
                                       + "by python3 (pid \(holder.processIdentifier)), so loft cannot listen there"), "\(result.output)")
        #expect(result.output.hasSuffix(": loft is broken until the problems are fixed\n"), "\(result.output)")
    }

    @Test("a missing private key file: exit 1, the file named and what to do")
    func missingKey() async throws {
        let stack = try await Self.stack([("pop3", "implicit")])
        defer { stack.cleanUp() }
        let server = stack.server
        try FileManager.default.removeItem(atPath: server.certificateKeyPath)

        let result = try await Self.doctor(server)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("PROBLEM: tls: ") && result.output.contains(server.certificateKeyPath), "\(result.output)")
        #expect(result.output.contains("put the right path in [tls] of the config"), "\(result.output)")
        let json = try Self.json(try await Self.doctor(server, ["--json"]))
        #expect(json["status"] as? String == "broken")
        #expect(json["exit_code"] as? Int == 1)
    }

    @Test("data_dir not writable by the run user (user = nobody, doctor run as root): exit 1 with the owner, mode and fix",
          .enabled(if: geteuid() == 0))
    func dataDirectoryNotWritable() async throws {
        let stack = try await Self.stack([("pop3", "implicit")])
        defer { stack.cleanUp() }
        let server = stack.server
        let data = server.directory.appendingPathComponent("data").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        try ("user = \"nobody\"\n" + config).write(toFile: server.configPath, atomically: true, encoding: .utf8)

        let result = try await Self.doctor(server)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("PROBLEM: data_dir: \(data) is owned by root:root (mode 0700); user \"nobody\" cannot write to it. "
                                       + "Fix: chown -R nobody:"), "\(result.output)")
        // Still as root afterwards: the check switched back.
        #expect(geteuid() == 0)
    }

    @Test("DNSSEC failing (every signature of the anchored zone broken) with a dane-only policy: exit 1, both named")
    func dnssecBogus() async throws {
        let policy = "\n[outbound_tls]\n[[outbound_tls.policy]]\ndomain = \"example.net\"\nlevel = \"dane-only\"\n"
        let stack = try await Self.stack([("pop3", "implicit")], corrupt: true, extraConfig: policy)
        defer { stack.cleanUp() }
        let server = stack.server

        let result = try await Self.doctor(server)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("DNSSEC         no: anchor.test is bogus"), "\(result.output)")
        #expect(result.output.contains("PROBLEM: dns: DNSSEC validation fails for anchor.test"), "\(result.output)")
        #expect(result.output.contains("example.net      dane-only"), "\(result.output)")
        #expect(result.output.contains("PROBLEM: outbound_tls policy for example.net is \"dane-only\" but the resolver does not "
                                       + "validate DNSSEC"), "\(result.output)")
        let json = try Self.json(try await Self.doctor(server, ["--json"]))
        let dnsReport = try #require(json["dns"] as? [String: Any])
        #expect(dnsReport["validation"] as? String == "failing")
        #expect(dnsReport["trust_anchor_zones"] as? [String] == ["anchor.test"])
        let outbound = try #require(json["outbound_tls"] as? [String: Any])
        #expect((outbound["policies"] as? [[String: Any]])?.first?["level"] as? String == "dane-only")
    }
}
