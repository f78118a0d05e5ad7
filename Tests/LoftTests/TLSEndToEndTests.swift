import Foundation
import Testing

/// TLS on the POP3 listeners as `openssl s_client` sees it.
@Suite(.serialized) struct TLSEndToEndTests {
    /// Connects with s_client, sends QUIT, and returns everything it printed.
    static func sClient(port: Int, startTLS: Bool, _ flags: [String]) async throws -> (status: Int32, text: String) {
        // -ign_eof: read until the server closes after QUIT (and no "Q" line shortcuts).
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-crlf", "-ign_eof"]
        if startTLS { arguments += ["-starttls", "pop3"] }
        let result = try await Subprocess.run("openssl", arguments + flags, input: Data("QUIT\n".utf8), timeout: .seconds(20))
        return (result.status, result.output + result.errors)
    }

    @Test("TLS 1.2 and 1.3 work on the implicit and the STLS port", arguments: [
        ("implicit", "-tls1_2", "TLSv1.2"), ("implicit", "-tls1_3", "TLSv1.3"),
        ("starttls", "-tls1_2", "TLSv1.2"), ("starttls", "-tls1_3", "TLSv1.3"),
    ])
    func modernVersions(tls: String, flag: String, version: String) async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let (status, text) = try await Self.sClient(port: server.port(tls), startTLS: tls == "starttls", [flag])
        #expect(status == 0, "\(text)")
        #expect(text.contains("New, \(version), Cipher is"), "\(text)")
        #expect(text.contains("+OK Logging out."), "\(text)")
        if tls == "implicit" { #expect(text.contains("+OK Loft POP3 server ready.")) }
        #expect(server.log.contains("TLS established"))
    }

    @Test("TLS 1.0 and 1.1 are refused with a protocol_version alert", arguments: ["-tls1", "-tls1_1"])
    func oldVersionsRefused(flag: String) async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let (status, text) = try await Self.sClient(port: server.port("implicit"), startTLS: false, [flag, "-cipher", "DEFAULT@SECLEVEL=0"])
        #expect(status != 0)
        #expect(text.contains("alert protocol version"), "\(text)")
        #expect(!text.contains("+OK Loft POP3 server ready."))
    }

    @Test("strict ALPN: 'imap' is refused on a POP3 port, 'pop3' and no ALPN are accepted")
    func strictALPN() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let port = server.port("implicit")
        let imap = try await Self.sClient(port: port, startTLS: false, ["-alpn", "imap"])
        #expect(imap.status != 0)
        #expect(imap.text.contains("no application protocol"), "\(imap.text)")
        let pop3 = try await Self.sClient(port: port, startTLS: false, ["-alpn", "pop3"])
        #expect(pop3.status == 0, "\(pop3.text)")
        #expect(pop3.text.contains("ALPN protocol: pop3"), "\(pop3.text)")
        let none = try await Self.sClient(port: port, startTLS: false, [])
        #expect(none.status == 0, "\(none.text)")
        #expect(none.text.contains("+OK Loft POP3 server ready."))
    }

    @Test("each protocol keeps its own ALPN id when POP3 and submission share a server")
    func alpnPerProtocol() async throws {
        let server = try LoftProcess(listeners: [("pop3", "implicit"), ("submission", "implicit")])
        defer { server.cleanUpNow() }
        try await server.start()
        let pop3 = server.port("implicit")
        let submission = server.port("implicit", protocol: "submission")
        let pop3OnPOP3 = try await Self.sClient(port: pop3, startTLS: false, ["-alpn", "pop3"])
        #expect(pop3OnPOP3.text.contains("ALPN protocol: pop3"), "\(pop3OnPOP3.text)")
        let smtpOnSubmission = try await Self.sClient(port: submission, startTLS: false, ["-alpn", "smtp"])
        #expect(smtpOnSubmission.text.contains("ALPN protocol: smtp"), "\(smtpOnSubmission.text)")
        let pop3OnSubmission = try await Self.sClient(port: submission, startTLS: false, ["-alpn", "pop3"])
        #expect(pop3OnSubmission.status != 0)
        #expect(pop3OnSubmission.text.contains("no application protocol"), "\(pop3OnSubmission.text)")
    }

    @Test("[[tls.sni]]: a client asking for the other name gets the other certificate")
    func sniFromConfig() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-sni-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("other.pem").path, key = directory.appendingPathComponent("other.key").path
        let made = try await Subprocess.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "30", "-subj", "/CN=mail.example.net", "-keyout", key, "-out", cert])
        #expect(made.status == 0)
        let server = try LoftProcess(extraConfig: "")
        defer { server.cleanUpNow() }
        // [[tls.sni]] belongs to [tls]: insert it right after that table.
        var config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        config = config.replacingOccurrences(of: "\n[auth]", with: """

            [[tls.sni]]
            hostname = "mail.example.net"
            certificate = "\(cert)"
            private_key = "\(key)"

            [auth]
            """)
        try Data(config.utf8).write(to: URL(fileURLWithPath: server.configPath))
        try await server.start()
        let other = try await Self.sClient(port: server.port("implicit"), startTLS: false, ["-servername", "mail.example.net"])
        #expect(other.text.contains("CN = mail.example.net"), "\(other.text)")
        let plain = try await Self.sClient(port: server.port("implicit"), startTLS: false, ["-servername", "mail.example.org"])
        #expect(plain.text.contains("CN = mail.example.org"), "\(plain.text)")
    }

    @Test("startup fails clearly when the key does not match the certificate")
    func keyMismatch() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.makeCertificate()
        let otherKey = server.directory.appendingPathComponent("other-key.pem").path
        let made = try await Subprocess.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", otherKey])
        #expect(made.status == 0)
        try FileManager.default.removeItem(atPath: server.certificateKeyPath)
        try FileManager.default.copyItem(atPath: otherKey, toPath: server.certificateKeyPath)
        let result = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", server.configPath], timeout: .seconds(20))
        #expect(result.status != 0)
        #expect(result.errors.contains("key.pem"), "\(result.errors)")
        #expect(result.errors.lowercased().contains("does not match"), "\(result.errors)")
    }

    @Test("after SIGHUP new connections get the new certificate")
    func reloadOnSIGHUP() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.makeCertificate(commonName: "old.example.org")
        try await server.start()
        let port = server.port("implicit")
        let before = try await Self.sClient(port: port, startTLS: false, [])
        #expect(before.text.contains("CN = old.example.org") || before.text.contains("CN=old.example.org"), "\(before.text)")

        try await server.makeCertificate(commonName: "new.example.org", keyType: "rsa")
        server.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(10)
        // "reloaded passwd-file" is the last line a reload logs.
        while !server.log.contains("reloaded passwd-file") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let after = try await Self.sClient(port: port, startTLS: false, [])
        #expect(after.text.contains("CN = new.example.org") || after.text.contains("CN=new.example.org"), "\(after.text)")
        let afterSTLS = try await Self.sClient(port: server.port("starttls"), startTLS: true, [])
        #expect(afterSTLS.text.contains("new.example.org"), "\(afterSTLS.text)")
    }

    @Test("a broken certificate file on SIGHUP keeps the old certificate and logs why")
    func brokenReload() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.makeCertificate(commonName: "kept.example.org")
        try await server.start()
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: server.certificatePath))
        server.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(10)
        while !server.log.contains("certificate reload failed") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(server.log.contains("certificate reload failed"))
        let after = try await Self.sClient(port: server.port("implicit"), startTLS: false, [])
        #expect(after.text.contains("kept.example.org"), "\(after.text)")
    }
}
