import Foundation
import TestSupport
import Testing

/// Issue 13's whole picture: a `loft serve` whose only certificate comes from ACME (pebble) serves it on
/// all six mail listeners and on the https listener, where pebble's tls-alpn-01 validation is answered;
/// Python then fetches the MTA-STS policy and the Thunderbird autoconfig over that certificate, trusting
/// only pebble's root, and they describe the listeners the server has.
@Suite struct ACMEWholeServerEndToEndTests {
    static let mailListeners = [
        ("pop3", "starttls"), ("pop3", "implicit"), ("imap", "starttls"), ("imap", "implicit"),
        ("submission", "starttls"), ("submission", "implicit"),
    ]
    static let names = ["mail.example.org", "mta-sts.example.org", "autoconfig.example.org"]

    @Test("ACME only: the pebble certificate on the six mail ports and 443 (tls-alpn-01 there), and the HTTPS documents fetched with pebble's root")
    func wholeServer() async throws {
        let dns = try TestDNSServer(zones: [TestDNSZone(
            origin: "example.org", records: ["mail IN A 127.0.0.1", "mta-sts IN A 127.0.0.1", "autoconfig IN A 127.0.0.1"], signed: false)])
        defer { dns.stop() }
        let https = try FreePort.loopback()
        let pebble = try TestPebble(httpPort: try FreePort.loopback(), tlsPort: https, dnsPort: dns.port)
        defer { pebble.stop() }
        let server = try LoftProcess(listeners: Self.mailListeners, extraConfig: """

            [[listener]]
            protocol = "https"
            address = "127.0.0.1:\(https)"
            tls = "implicit"

            [tls.acme]
            directory = "\(pebble.directoryURL)"
            contact = ["mailto:postmaster@example.org"]
            names = [\(Self.names.map { "\"\($0)\"" }.joined(separator: ", "))]
            ca_file = "\(pebble.ca.certificatePath)"
            terms_agreed = true

            """)
        defer { server.cleanUpNow() }
        // No static certificate at all: [tls] keeps only its [tls.acme] table.
        var config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        config = config.replacingOccurrences(of: "certificate = \"\(server.certificatePath)\"\n", with: "")
            .replacingOccurrences(of: "private_key = \"\(server.certificateKeyPath)\"\n", with: "")
        try config.write(toFile: server.configPath, atomically: true, encoding: .utf8)

        try await pebble.start()
        try await server.start(expectedListeners: Self.mailListeners.count + 1)
        let deadline = ContinuousClock.now + .seconds(120)
        while !server.log.contains("installed a new ACME certificate") {
            guard ContinuousClock.now < deadline else { throw Failure("no ACME certificate: \(server.log)\n\(pebble.log)") }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(pebble.log.contains("set VALID by completed challenge"), "\(pebble.log)")
        let root = try await pebble.rootCertificate()

        let starttls = ["pop3": "pop3", "imap": "imap", "submission": "smtp"]
        for (proto, tls) in Self.mailListeners {
            let flags = tls == "starttls" ? ["-starttls", starttls[proto]!] : []
            let text = try await ACMEEndToEndTests.sClient(
                port: server.port(tls, protocol: proto), serverName: "mail.example.org", caFile: root, flags)
            #expect(text.hasPrefix("status 0") && text.contains("Verify return code: 0 (ok)"), "\(proto) \(tls): \(text)")
        }
        let onHTTPS = try await ACMEEndToEndTests.sClient(port: https, serverName: "mta-sts.example.org", caFile: root, ["-alpn", "http/1.1"])
        #expect(onHTTPS.contains("Verify return code: 0 (ok)"), "\(onHTTPS)")

        let script = HTTPSEndToEndTests.prelude + #"""
            def get(path, host):
                connection = SNIConnection(host)
                connection.request("GET", path, headers={"Host": host})
                response = connection.getresponse()
                return response.status, response.read()
            status, policy = get("/.well-known/mta-sts.txt", "mta-sts.example.org")
            status2, xml = get("/mail/config-v1.1.xml?emailaddress=alice%40example.org", "autoconfig.example.org")
            provider = ET.fromstring(xml).find("emailProvider")
            servers = [[s.get("type"), text(s, "hostname"), int(text(s, "port")), text(s, "socketType")]
                       for s in provider if s.tag in ("incomingServer", "outgoingServer")]
            print(json.dumps({"status": [status, status2], "policy": policy.decode(), "servers": servers}))
            """#
        let result = try await Subprocess.python(script, [root, "\(https)"])
        try #require(result.status == 0, "\(result.errors)\n\(server.log)")
        let found = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(found["status"] as? [Int] == [200, 200])
        #expect(found["policy"] as? String == "version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n")
        func port(_ proto: String, _ tls: String) -> Int { server.port(tls, protocol: proto) }
        let rows = try #require(found["servers"] as? [[Any]])
        let servers: [[String]] = rows.map { row in row.map { "\($0)" } }
        #expect(servers == [
            ["imap", "mail.example.org", "\(port("imap", "implicit"))", "SSL"],
            ["imap", "mail.example.org", "\(port("imap", "starttls"))", "STARTTLS"],
            ["pop3", "mail.example.org", "\(port("pop3", "implicit"))", "SSL"],
            ["pop3", "mail.example.org", "\(port("pop3", "starttls"))", "STARTTLS"],
            ["smtp", "mail.example.org", "\(port("submission", "implicit"))", "SSL"],
            ["smtp", "mail.example.org", "\(port("submission", "starttls"))", "STARTTLS"],
        ])
    }
}
