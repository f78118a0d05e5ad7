import Config
import Testing

@Suite("The sample etc/loft.toml and the embedded demo")
struct SampleConfigurationTests {
    @Test("etc/loft.toml loads with the values it documents")
    func sampleLoads() throws {
        let config = try LoftConfiguration.load(path: ConfigFixtures.samplePath)
        #expect(config.hostname == "mail.example.org")
        #expect(config.domain == "example.org")
        #expect(config.dataDirectory == "/var/lib/loft")
        #expect(config.user == nil)
        #expect(config.tls == TLSSettings(
            certificate: "/etc/loft/tls/fullchain.pem",
            privateKey: "/etc/loft/tls/privkey.pem",
            minVersion: .tls12,
            sni: []))
        #expect(config.auth == AuthSettings(
            passwdFile: "/etc/loft/passwd", failureDelay: .seconds(2), failureDelayMax: .seconds(15)))
        #expect(config.pop3 == POP3Settings(idleTimeout: .seconds(600), maxLineLength: 512))
        #expect(config.imap == IMAPSettings(
            idleTimeout: .seconds(1800), idleKeepalive: .seconds(120), maxLineLength: 65_536, maxFolders: 1000,
            maxCompressedSessions: 1000))
        #expect(config.submission == SubmissionSettings(
            maxMessageSize: 50 * 1024 * 1024, maxRecipients: 100, aliasesFile: nil, idleTimeout: .seconds(300)))
        #expect(config.delivery == DeliverySettings(localDomains: ["example.org"]))
        #expect(config.limits == LimitSettings(shutdownGrace: .seconds(10)))
        #expect(config.listeners == [
            ListenerConfiguration(
                protocol: .pop3, address: ListenAddress(host: "0.0.0.0", port: 110), tls: .starttls,
                allowPlaintextAuth: false),
            ListenerConfiguration(
                protocol: .pop3, address: ListenAddress(host: "0.0.0.0", port: 995), tls: .implicit,
                allowPlaintextAuth: false),
            ListenerConfiguration(
                protocol: .imap, address: ListenAddress(host: "0.0.0.0", port: 143), tls: .starttls,
                allowPlaintextAuth: false),
            ListenerConfiguration(
                protocol: .imap, address: ListenAddress(host: "0.0.0.0", port: 993), tls: .implicit,
                allowPlaintextAuth: false),
            ListenerConfiguration(
                protocol: .submission, address: ListenAddress(host: "0.0.0.0", port: 587), tls: .starttls,
                allowPlaintextAuth: false),
            ListenerConfiguration(
                protocol: .submission, address: ListenAddress(host: "0.0.0.0", port: 465), tls: .implicit,
                allowPlaintextAuth: false),
        ])
        #expect(config.sourcePath == ConfigFixtures.samplePath)
    }

    @Test("the sample's explicit values are the built-in defaults")
    func sampleShowsDefaults() throws {
        let config = try LoftConfiguration.load(path: ConfigFixtures.samplePath)
        #expect(config.tls?.minVersion == TLSSettings.defaultMinVersion)
        #expect(config.auth.failureDelay == AuthSettings.defaultFailureDelay)
        #expect(config.auth.failureDelayMax == AuthSettings.defaultFailureDelayMax)
        #expect(config.pop3 == POP3Settings())
        #expect(config.imap == IMAPSettings())
        #expect(config.submission == SubmissionSettings())
        #expect(config.delivery == DeliverySettings(localDomains: [config.domain]))
        #expect(config.limits == LimitSettings())
    }

    @Test("the commented-out [[tls.sni]] example parses once uncommented")
    func sampleSNIExample() throws {
        let sample = try String(contentsOfFile: ConfigFixtures.samplePath, encoding: .utf8)
        let enabled = sample
            .replacingOccurrences(of: "# [[tls.sni]]", with: "[[tls.sni]]")
            .replacingOccurrences(of: "# hostname = \"mail.example.net\"", with: "hostname = \"mail.example.net\"")
            .replacingOccurrences(of: "# certificate = \"/etc/loft/tls/example.net", with: "certificate = \"/etc/loft/tls/example.net")
            .replacingOccurrences(of: "# private_key = \"/etc/loft/tls/example.net", with: "private_key = \"/etc/loft/tls/example.net")
        let config = try LoftConfiguration.parse(enabled, path: "/etc/loft/loft.toml")
        #expect(config.tls?.sni == [SNICertificate(
            hostname: "mail.example.net",
            certificate: "/etc/loft/tls/example.net/fullchain.pem",
            privateKey: "/etc/loft/tls/example.net/privkey.pem")])
    }

    @Test("the commented-out submission settings parse once uncommented")
    func sampleSubmissionExample() throws {
        let sample = try String(contentsOfFile: ConfigFixtures.samplePath, encoding: .utf8)
        let enabled = sample
            .replacingOccurrences(of: "# max_recipients = 100", with: "max_recipients = 100")
            .replacingOccurrences(of: "# aliases_file = ", with: "aliases_file = ")
        let config = try LoftConfiguration.parse(enabled, path: "/etc/loft/loft.toml")
        #expect(config.submission.maxRecipients == 100)
        #expect(config.submission.aliasesFile == "/etc/loft/aliases")
    }

    @Test("the demo listens on loopback at the standard ports plus 1000, with its files in one directory")
    func demo() {
        let config = LoftConfiguration.demo(directory: "/home/alice/loft-data")
        #expect(config.hostname == "localhost")
        #expect(config.domain == "localhost")
        #expect(config.dataDirectory == "/home/alice/loft-data")
        #expect(config.tls?.certificate == "/home/alice/loft-data/tls/cert.pem")
        #expect(config.tls?.privateKey == "/home/alice/loft-data/tls/key.pem")
        #expect(config.tls?.minVersion == .tls12)
        #expect(config.auth.passwdFile == "/home/alice/loft-data/passwd")
        #expect(config.listeners.map(\.address.description)
            == ["127.0.0.1:1110", "127.0.0.1:1995", "127.0.0.1:1587", "127.0.0.1:1465", "127.0.0.1:1143", "127.0.0.1:1993",
                "127.0.0.1:1443"])
        #expect(config.listeners.map(\.protocol) == [.pop3, .pop3, .submission, .submission, .imap, .imap, .https])
        #expect(config.listeners.map(\.tls) == [.starttls, .implicit, .starttls, .implicit, .starttls, .implicit, .implicit])
        #expect(config.submission == SubmissionSettings())
        #expect(config.delivery.localDomains == ["localhost"])
        #expect(config.listeners.allSatisfy { !$0.allowPlaintextAuth })
        #expect(config.sourcePath == nil)
    }
}
