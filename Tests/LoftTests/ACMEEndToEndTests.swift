import Foundation
import TestSupport
import Testing

/// `[tls.acme]` against Debian's pebble: the real `loft serve` obtains a certificate for mail.acme.test
/// (tls-alpn-01 answered on its IMAPS port), serves it by SNI on every TLS port beside the static default
/// certificate, renews it under live sessions, and keeps going while the CA is down.
@Suite(.serialized) struct ACMEEndToEndTests {
    static let name = "mail.acme.test"

    /// nsd with mail.acme.test → 127.0.0.1, pebble pointed at it, and a Loft whose IMAPS, POP3S and
    /// submission (implicit TLS) listeners have fixed free ports; pebble validates on the IMAPS port.
    final class Lab: @unchecked Sendable {
        let dns: TestDNSServer
        let pebble: TestPebble
        let loft: LoftProcess
        let imaps: Int, pop3s: Int, submissions: Int, http: Int, metrics: Int

        /// - Parameter challenge: "tls-alpn-01" or "http-01" (adds an http listener, pebble's httpPort).
        init(challenge: String = "tls-alpn-01", validity: Int? = nil) throws {
            dns = try TestDNSServer(zones: [TestDNSZone(origin: "acme.test", records: ["mail IN A 127.0.0.1"], signed: false)])
            imaps = try FreePort.loopback()
            pop3s = try FreePort.loopback()
            submissions = try FreePort.loopback()
            http = try FreePort.loopback()
            metrics = try FreePort.loopback()
            pebble = try TestPebble(httpPort: http, tlsPort: imaps, dnsPort: dns.port, validity: validity)
            var config = "\n[[listener]]\nprotocol = \"http\"\naddress = \"127.0.0.1:\(http)\"\ntls = \"none\"\n"
            for (proto, port) in [("imap", imaps), ("pop3", pop3s), ("submission", submissions)] {
                config += "\n[[listener]]\nprotocol = \"\(proto)\"\naddress = \"127.0.0.1:\(port)\"\ntls = \"implicit\"\n"
            }
            config += """

            [metrics]
            listen = "127.0.0.1:\(metrics)"

            [tls.acme]
            directory = "\(pebble.directoryURL)"
            contact = ["mailto:postmaster@acme.test"]
            names = ["\(ACMEEndToEndTests.name)"]
            ca_file = "\(pebble.ca.certificatePath)"
            challenge = "\(challenge)"
            terms_agreed = true

            """
            loft = try LoftProcess(listeners: [], extraConfig: config)
        }

        func cleanUp() {
            loft.cleanUpNow()
            pebble.stop()
            dns.stop()
        }

        /// Waits until `count` new certificates have been installed.
        func waitForInstalled(_ count: Int, timeout: Duration = .seconds(120)) async throws {
            let deadline = ContinuousClock.now + timeout
            while loft.log.components(separatedBy: "installed a new ACME certificate").count - 1 < count {
                guard ContinuousClock.now < deadline else {
                    throw Failure("no \(count) ACME certificates installed: \(loft.log)\n--- pebble ---\n\(pebble.log)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// `openssl s_client` with SNI `serverName` (nil: none), verifying against `caFile` when given.
    static func sClient(port: Int, serverName: String?, caFile: String?, _ flags: [String] = []) async throws -> String {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-showcerts"] + flags
        if let serverName { arguments += ["-servername", serverName, "-verify_hostname", serverName] }
        if let caFile { arguments += ["-CAfile", caFile, "-verify_return_error"] }
        let result = try await Subprocess.run("openssl", arguments, input: Data(), timeout: .seconds(20))
        return "status \(result.status)\n" + result.output + result.errors
    }

    @Test("first issuance via tls-alpn-01: IMAPS, POP3S and submission serve the pebble certificate by SNI")
    func firstIssuance() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        try await lab.pebble.start()
        try await lab.loft.start(expectedListeners: 4)
        #expect(lab.loft.log.contains("listeners start on a temporary self-signed certificate"))
        try await lab.waitForInstalled(1)
        let root = try await lab.pebble.rootCertificate()
        for port in [lab.imaps, lab.pop3s, lab.submissions] {
            let text = try await Self.sClient(port: port, serverName: Self.name, caFile: root)
            #expect(text.hasPrefix("status 0"), "\(text)")
            #expect(text.contains("Verify return code: 0 (ok)"), "\(text)")
            #expect(text.contains("Pebble Intermediate"), "\(text)")
        }
        // Names without an ACME certificate keep the static default.
        let plain = try await Self.sClient(port: lab.imaps, serverName: nil, caFile: nil)
        #expect(plain.contains("subject=CN = mail.example.org") || plain.contains("subject=CN=mail.example.org"), "\(plain)")
        #expect(!plain.contains("Pebble"), "\(plain)")
        // No challenge is pending any more: acme-tls/1 is refused as any other wrong ALPN id is.
        let validation = try await Self.sClient(port: lab.imaps, serverName: Self.name, caFile: nil, ["-alpn", "acme-tls/1"])
        #expect(validation.contains("no application protocol"), "\(validation)")
        // pebble really validated: its VA connected to Loft's IMAPS port with acme-tls/1.
        #expect(lab.loft.log.contains("challenge=tls-alpn-01"), "\(lab.loft.log)")
        #expect(lab.pebble.log.contains("set VALID by completed challenge"), "\(lab.pebble.log)")
        let scrape = try await Subprocess.run("curl", ["-sS", "http://127.0.0.1:\(lab.metrics)/metrics"])
        let gauge = scrape.output.split(separator: "\n").first { $0.hasPrefix("loft_acme_certificate_expiry_seconds ") }
        let secondsLeft = try #require(gauge.flatMap { Double($0.split(separator: " ")[1]) }, "\(scrape.output)")
        // pebble's default lifetime is five years.
        #expect(secondsLeft > 365 * 86400, "\(scrape.output)")
        let files = try FileManager.default.attributesOfItem(atPath: "\(lab.loft.directory.path)/data/acme/certificate.pem")
        #expect((files[.posixPermissions] as? Int) == 0o600)
        let account = try FileManager.default.attributesOfItem(atPath: "\(lab.loft.directory.path)/data/acme/account.key")
        #expect((account[.posixPermissions] as? Int) == 0o600)
    }

    @Test("first issuance via http-01 on the http listener; other requests are redirected, bad ones refused")
    func http01() async throws {
        let lab = try Lab(challenge: "http-01")
        defer { lab.cleanUp() }
        try await lab.pebble.start()
        try await lab.loft.start(expectedListeners: 4)
        try await lab.waitForInstalled(1)
        let root = try await lab.pebble.rootCertificate()
        let text = try await Self.sClient(port: lab.pop3s, serverName: Self.name, caFile: root)
        #expect(text.contains("Verify return code: 0 (ok)"), "\(text)")
        #expect(lab.loft.log.contains("challenge=http-01"), "\(lab.loft.log)")
        #expect(lab.pebble.log.contains("set VALID by completed challenge"), "\(lab.pebble.log)")

        let base = "http://127.0.0.1:\(lab.http)"
        let redirect = try await Subprocess.run("curl", ["-si", "-H", "Host: mail.acme.test:80", base + "/mail/config-v1.1.xml?x=1"])
        #expect(redirect.output.hasPrefix("HTTP/1.1 301"), "\(redirect.output)")
        #expect(redirect.output.contains("Location: https://mail.acme.test/mail/config-v1.1.xml?x=1\r\n"), "\(redirect.output)")
        // A Host that is not a plain name is never echoed: the redirect names the server's hostname.
        let odd = try await Subprocess.run("curl", ["-si", "-H", "Host: evil.example/x@", base + "/"])
        #expect(odd.output.contains("Location: https://mail.example.org/\r\n"), "\(odd.output)")
        let unknown = try await Subprocess.run("curl", ["-si", base + "/.well-known/acme-challenge/no-such-token-0123456789"])
        #expect(unknown.output.hasPrefix("HTTP/1.1 404"), "\(unknown.output)")
        let garbage = try await Subprocess.run("python3", ["-c", """
            import socket
            s = socket.create_connection(("127.0.0.1", \(lab.http)), timeout=10)
            s.sendall(b"GET / HTTP/1.1\\r\\nHost: a\\r\\nno colon here\\r\\n\\r\\n")
            print(s.recv(200).decode("latin-1").split("\\r\\n")[0])
            """])
        #expect(garbage.output.hasPrefix("HTTP/1.1 400"), "\(garbage.output) \(garbage.errors)")
    }

    @Test("the CA is down at start: the self-signed placeholder serves, retried, then the real certificate")
    func caDownAtStart() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        try await lab.loft.start(expectedListeners: 4)
        try await lab.loft.waitForLog(suffix: "ACME certificate request failed; the current certificate stays in use", count: 1,
                                      timeout: .seconds(60))
        let placeholder = try await Self.sClient(port: lab.imaps, serverName: Self.name, caFile: nil)
        #expect(placeholder.contains("issuer=CN = \(Self.name)") || placeholder.contains("issuer=CN=\(Self.name)"), "\(placeholder)")
        try await lab.pebble.start()
        // The first retry comes a minute after the failure (ACMERenewalSchedule.initialBackoff).
        try await lab.waitForInstalled(1, timeout: .seconds(150))
        let root = try await lab.pebble.rootCertificate()
        let text = try await Self.sClient(port: lab.imaps, serverName: Self.name, caFile: root)
        #expect(text.contains("Verify return code: 0 (ok)"), "\(text)")
    }

    @Test("renewal swaps the certificate live: open IMAP and POP3 sessions go on, new connections get the new one")
    func renewalUnderLiveSessions() async throws {
        // pebble 2.4 issues 40-second certificates here, so renewal comes due after about 27 seconds.
        let lab = try Lab(validity: 40)
        defer { lab.cleanUp() }
        try await lab.pebble.start()
        try await lab.loft.start(expectedListeners: 4)
        try await lab.waitForInstalled(1)
        let root = try await lab.pebble.rootCertificate()
        let script = """
        import imaplib, poplib, socket, ssl, sys, time, json
        imap_port, pop_port, sub_port, root, name, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
        context = ssl.create_default_context(cafile=root)
        def serial(port):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=name) as tls:
                    return tls.getpeercert()["serialNumber"]
        class IMAPS(imaplib.IMAP4_SSL):
            def _create_socket(self, timeout):
                return self.ssl_context.wrap_socket(socket.create_connection(("127.0.0.1", self.port), timeout), server_hostname=name)
        class POPS(poplib.POP3_SSL):
            def _create_socket(self, timeout):
                return self.context.wrap_socket(socket.create_connection(("127.0.0.1", self.port), timeout), server_hostname=name)
        out = {"before": serial(imap_port)}
        imap = IMAPS(name, imap_port, ssl_context=context, timeout=20)
        imap.login("alice", password)
        pop = POPS(name, pop_port, context=context, timeout=20)
        pop.user("alice"); pop.pass_(password)
        out["imap_session"] = imap.sock.getpeercert()["serialNumber"]
        deadline = time.time() + 120
        while serial(imap_port) == out["before"] and time.time() < deadline:
            time.sleep(1)
        out["after_imap"], out["after_pop"], out["after_submission"] = serial(imap_port), serial(pop_port), serial(sub_port)
        out["noop"] = imap.noop()[0]
        out["stat"] = list(pop.stat())
        out["imap_logout"] = imap.logout()[0]
        out["pop_quit"] = pop.quit().decode()
        print(json.dumps(out))
        """
        let result = try await Subprocess.run(
            "python3", ["-c", script, "\(lab.imaps)", "\(lab.pop3s)", "\(lab.submissions)", root, Self.name, LoftProcess.password],
            timeout: .seconds(180))
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output) \(result.errors)")
        let before = try #require(report["before"] as? String)
        #expect(report["imap_session"] as? String == before)
        #expect(report["after_imap"] as? String != before, "renewed: a new serial for new connections \(report) \(lab.loft.log)")
        #expect(report["after_pop"] as? String == report["after_imap"] as? String)
        #expect(report["after_submission"] as? String == report["after_imap"] as? String)
        #expect(report["noop"] as? String == "OK")
        #expect(report["stat"] as? [Int] == [0, 0])
        #expect(report["imap_logout"] as? String == "BYE")
        #expect((report["pop_quit"] as? String)?.hasPrefix("+OK") == true)
        #expect(lab.loft.log.contains("reason=two thirds of the certificate's lifetime have passed")
                || lab.loft.log.contains("two thirds of the certificate"), "\(lab.loft.log)")
    }

    @Test("--check-config before the first certificate: OK, checked against a placeholder, data_dir untouched")
    func checkConfigBeforeIssuance() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        try await lab.loft.makeCertificate()
        let result = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", lab.loft.configPath, "--check-config"])
        #expect(result.status == 0, "\(result.output) \(result.errors)")
        #expect(result.output.contains("OK, 4 listeners"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(lab.loft.directory.path)/data/acme"))
        let doctor = try await Subprocess.run(LoftProcess.executable, ["doctor", "--config", lab.loft.configPath], timeout: .seconds(60))
        #expect(doctor.output.contains("no ACME certificate obtained yet; loft serve starts on a temporary self-signed one and asks "
                                       + lab.pebble.directoryURL), "\(doctor.output) \(doctor.errors)")
    }
}
