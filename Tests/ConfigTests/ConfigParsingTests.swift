import Config
import Foundation
import Testing

@Suite("Parsing values, defaults and paths")
struct ConfigParsingTests {
    @Test("optional keys and sections take their defaults")
    func defaults() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "/etc/loft/loft.toml")
        #expect(config.domain == "mail.example.org")
        #expect(config.user == nil)
        #expect(config.tls == nil)
        #expect(config.auth.failureDelay == .seconds(2))
        #expect(config.auth.failureDelayMax == .seconds(15))
        #expect(config.pop3.idleTimeout == .seconds(600))
        #expect(config.pop3.maxLineLength == 512)
        #expect(config.limits.shutdownGrace == .seconds(10))
        #expect(config.submission.maxMessageSize == 52_428_800)
        #expect(config.submission.maxRecipients == 100)
        #expect(config.submission.aliasesFile == nil)
        #expect(config.submission.idleTimeout == .seconds(300))
        #expect(config.delivery.localDomains == ["mail.example.org"])
        #expect(config.listeners.first?.allowPlaintextAuth == false)
        #expect(config.sourcePath == "/etc/loft/loft.toml")
    }

    @Test("min_version defaults to 1.2 and accepts 1.3; allow_plaintext_auth and user are read")
    func explicitValues() throws {
        let text = ConfigFixtures.minimal
            .replacingOccurrences(of: "tls = \"none\"", with: "tls = \"none\"\nallow_plaintext_auth = true")
            .replacingOccurrences(of: "data_dir", with: "user = \"vmail\"\ndata_dir")
        let withDefault = try LoftConfiguration.parse(text + ConfigFixtures.tlsSection, path: "loft.toml")
        #expect(withDefault.tls?.minVersion == .tls12)
        #expect(withDefault.user == "vmail")
        #expect(withDefault.listeners.first?.allowPlaintextAuth == true)
        let strict = try LoftConfiguration.parse(
            text + ConfigFixtures.tlsSection + "min_version = \"1.3\"\n", path: "loft.toml")
        #expect(strict.tls?.minVersion == .tls13)
    }

    @Test("withhold_capabilities on an imap listener is read, in any case")
    func withheldCapabilities() throws {
        let text = ConfigFixtures.minimal.replacingOccurrences(
            of: "protocol = \"pop3\"\naddress = \"127.0.0.1:110\"\ntls = \"none\"",
            with: "protocol = \"imap\"\naddress = \"127.0.0.1:143\"\ntls = \"none\"\nwithhold_capabilities = [\"qresync\", \"IDLE\"]")
        let config = try LoftConfiguration.parse(text, path: "loft.toml")
        #expect(config.listeners.first?.withheldCapabilities == ["QRESYNC", "IDLE"])
        #expect(try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml").listeners.first?.withheldCapabilities == [])
    }

    @Test("relative paths are resolved against the configuration file's directory")
    func relativePaths() throws {
        let directory = try ConfigFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("loft.toml")
        try ConfigFixtures.write("""
            hostname = "mail.example.org"
            data_dir = "data"
            [tls]
            certificate = "./tls/cert.pem"
            private_key = "../keys/key.pem"
            [[tls.sni]]
            hostname = "mail.example.net"
            certificate = "net/cert.pem"
            private_key = "/absolute/key.pem"
            [auth]
            passwd_file = "passwd"
            [[listener]]
            protocol = "pop3"
            address = "127.0.0.1:0"
            tls = "implicit"
            """, to: file)
        let config = try LoftConfiguration.load(path: file.path)
        let base = directory.path
        #expect(config.dataDirectory == base + "/data")
        #expect(config.tls?.certificate == base + "/tls/cert.pem")
        #expect(config.tls?.privateKey == base + "/../keys/key.pem")
        #expect(config.tls?.sni.first?.certificate == base + "/net/cert.pem")
        #expect(config.tls?.sni.first?.privateKey == "/absolute/key.pem")
        #expect(config.auth.passwdFile == base + "/passwd")
        #expect(config.sourcePath == file.path)
    }

    @Test("a relative file name is resolved against the current directory")
    func relativeFileName() throws {
        let text = ConfigFixtures.minimal.replacingOccurrences(of: "/var/lib/loft", with: "data")
        let config = try LoftConfiguration.parse(text, path: "conf/loft.toml")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(config.dataDirectory == cwd + "/conf/data")
        #expect(config.sourcePath == cwd + "/conf/loft.toml")
    }

    @Test("local_domains defaults to the domain, lowercased")
    func localDomainsDefault() throws {
        let text = ConfigFixtures.minimal.replacingOccurrences(of: "data_dir", with: "domain = \"Example.ORG\"\ndata_dir")
        let config = try LoftConfiguration.parse(text, path: "loft.toml")
        #expect(config.delivery.localDomains == ["example.org"])
    }

    @Test("submission and delivery settings are read; local domains are lowercased")
    func submissionSettings() throws {
        let directory = try ConfigFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("loft.toml")
        try ConfigFixtures.write(ConfigFixtures.minimal + """
            [submission]
            max_message_size = "10M"
            max_recipients = 500
            aliases_file = "aliases"
            idle_timeout = "10m"
            [delivery]
            local_domains = ["Example.org", "lists.example.org"]
            """, to: file)
        let config = try LoftConfiguration.load(path: file.path)
        #expect(config.submission == SubmissionSettings(
            maxMessageSize: 10 * 1024 * 1024, maxRecipients: 500,
            aliasesFile: directory.path + "/aliases", idleTimeout: .seconds(600)))
        #expect(config.delivery.localDomains == ["example.org", "lists.example.org"])
    }

    @Test("sizes in bytes, K, M and G (1K = 1024)", arguments: [
        ("65536", 65536),
        ("64K", 65536),
        ("512k", 524_288),
        ("50M", 52_428_800),
        ("1G", 1_073_741_824),
    ])
    func sizes(text: String, expected: Int) throws {
        let config = try LoftConfiguration.parse(
            ConfigFixtures.minimal + "[submission]\nmax_message_size = \"\(text)\"\n", path: "loft.toml")
        #expect(config.submission.maxMessageSize == expected)
    }

    @Test("durations in ms, s, m and h", arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("0s", Duration.zero),
        ("2s", Duration.seconds(2)),
        ("90s", Duration.seconds(90)),
        ("10m", Duration.seconds(600)),
        ("1h", Duration.seconds(3600)),
    ])
    func durations(text: String, expected: Duration) throws {
        let config = try LoftConfiguration.parse(
            ConfigFixtures.minimal + "[limits]\nshutdown_grace = \"\(text)\"\n", path: "loft.toml")
        #expect(config.limits.shutdownGrace == expected)
    }

    @Test("all duration settings are read")
    func durationSettings() throws {
        let text = ConfigFixtures.minimal.replacingOccurrences(
            of: "passwd_file = \"/etc/loft/passwd\"",
            with: "passwd_file = \"/etc/loft/passwd\"\nfailure_delay = \"500ms\"\nfailure_delay_max = \"1m\"")
            + "[pop3]\nidle_timeout = \"1h\"\nmax_line_length = 1024\n"
        let config = try LoftConfiguration.parse(text, path: "loft.toml")
        #expect(config.auth.failureDelay == .milliseconds(500))
        #expect(config.auth.failureDelayMax == .seconds(60))
        #expect(config.pop3.idleTimeout == .seconds(3600))
        #expect(config.pop3.maxLineLength == 1024)
    }

    @Test("IPv4 and bracketed IPv6 addresses; IPv6 in canonical form", arguments: [
        ("0.0.0.0:110", "0.0.0.0", 110, "0.0.0.0:110"),
        ("127.0.0.1:1110", "127.0.0.1", 1110, "127.0.0.1:1110"),
        ("[::]:110", "::", 110, "[::]:110"),
        ("[::1]:995", "::1", 995, "[::1]:995"),
        ("[2001:DB8:0:0::25]:110", "2001:db8::25", 110, "[2001:db8::25]:110"),
        ("[::ffff:192.0.2.1]:110", "::ffff:192.0.2.1", 110, "[::ffff:192.0.2.1]:110"),
        ("127.0.0.1:0", "127.0.0.1", 0, "127.0.0.1:0"),
        ("127.0.0.1:65535", "127.0.0.1", 65535, "127.0.0.1:65535"),
    ])
    func addresses(text: String, host: String, port: Int, description: String) throws {
        let config = try LoftConfiguration.parse(
            ConfigFixtures.minimal.replacingOccurrences(of: "127.0.0.1:110", with: text), path: "loft.toml")
        let address = try #require(config.listeners.first?.address)
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == description)
    }

    @Test("the same port on different addresses, and several port-0 listeners, are not duplicates")
    func distinctAddresses() throws {
        let text = ConfigFixtures.minimal + ConfigFixtures.tlsSection + """
            [[listener]]
            protocol = "imap"
            address = "0.0.0.0:110"
            tls = "starttls"
            [[listener]]
            protocol = "submission"
            address = "[::]:110"
            tls = "implicit"
            [[listener]]
            protocol = "pop3"
            address = "127.0.0.1:0"
            tls = "none"
            [[listener]]
            protocol = "pop3"
            address = "127.0.0.1:0"
            tls = "none"
            """
        let config = try LoftConfiguration.parse(text, path: "loft.toml")
        #expect(config.listeners.map(\.address.description)
            == ["127.0.0.1:110", "0.0.0.0:110", "[::]:110", "127.0.0.1:0", "127.0.0.1:0"])
        #expect(config.listeners.map(\.protocol) == [.pop3, .imap, .submission, .pop3, .pop3])
    }

    @Test("[limits] connection, session, login-time and pool settings are read; defaults otherwise")
    func limits() throws {
        let defaults = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml").limits
        #expect(defaults == LimitSettings())
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal + """
            [limits]
            max_connections = 300
            max_connections_per_ip = 20
            max_sessions_per_user_ip = 4
            login_timeout = "45s"
            auth_threads = 3
            disk_threads = 16

            """, path: "loft.toml")
        #expect(config.limits.maxConnections == 300)
        #expect(config.limits.maxConnectionsPerIP == 20)
        #expect(config.limits.maxSessionsPerUserIP == 4)
        #expect(config.limits.loginTimeout == .seconds(45))
        #expect(config.limits.authThreads == 3)
        #expect(config.limits.diskThreads == 16)
    }
}
