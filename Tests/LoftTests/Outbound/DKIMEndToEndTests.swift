import Delivery
import Foundation
import Testing
import TestSupport
import TLS

/// DKIM signing end to end: the real `loft serve` signs what leaves for a remote MX (aiosmtpd, or a private
/// Postfix in PostfixMXEndToEndTests), and dkimpy verifies what the MX received against the TXT records
/// Loft's own renderer gives for the keys.
@Suite(.serialized) struct DKIMEndToEndTests {
    /// Keys in a directory of their own, and the `[[dkim]]` lines and DNS records for them.
    struct Keys {
        let directory: String
        var entries: [(domain: String, selector: String, algorithm: DKIMSigningKey.Algorithm, sign: Bool)]

        init(_ entries: [(domain: String, selector: String, algorithm: DKIMSigningKey.Algorithm, sign: Bool)]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-dkim-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.entries = entries
            for entry in entries { try DKIMSigningKey.generate(entry.algorithm, path: path(entry.selector)) }
        }

        func path(_ selector: String) -> String { "\(directory)/\(selector).key" }

        var config: String {
            entries.map { entry in
                """

                [[dkim]]
                domain = "\(entry.domain)"
                selector = "\(entry.selector)"
                algorithm = "\(entry.algorithm.rawValue)"
                key_file = "\(path(entry.selector))"
                sign = \(entry.sign)

                """
            }.joined()
        }

        /// TXT owner name (no final dot) → value, as `loft dkim generate` prints them.
        func records() throws -> [String: String] {
            var records: [String: String] = [:]
            for entry in entries {
                let record = DKIMDNSRecord(domain: entry.domain, selector: entry.selector, key: try DKIMSigningKey(path: path(entry.selector)))
                records[String(record.name.dropLast())] = DKIMVerifier.txtValue(ofZoneLine: record.zoneFileLine)
            }
            return records
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static let dualKeys: [(domain: String, selector: String, algorithm: DKIMSigningKey.Algorithm, sign: Bool)] = [
        ("example.org", "rsa2026", .rsaSHA256, true),
        ("example.org", "ed2026", .ed25519SHA256, true),
        ("example.org", "old2025", .rsaSHA256, false),
    ]

    /// 8-bit text, a folded header, WSP runs, a long line (but within 998), a leading dot, trailing empty lines.
    static let message = """
        From: Alice <alice@example.org>\r
        To: Bob <bob@dest.test>,\r
        \tCarol <carol@dest.test>\r
        Subject: dkim   end\tto end,\r
         folded\r
        Date: Mon, 07 Dec 2026 10:00:00 +0000\r
        Message-ID: <dkim-e2e@example.org>\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        gr\u{fc}\u{df}e aus K\u{f6}ln \u{2014} 8-bit   body\t \r
        .a line with a leading dot\r
        \(String(repeating: "x", count: 900))\r
        \r
        \r
        \r

        """

    static func signatures(_ message: [UInt8]) -> [String] {
        let text = String(decoding: message, as: UTF8.self)
        let header = text.components(separatedBy: "\r\n\r\n")[0]
        return header.components(separatedBy: "\r\n").filter { $0.hasPrefix("DKIM-Signature:") }
    }

    @Test("dual signing (submitted over STARTTLS): rsa-sha256 and ed25519-sha256 both verify with dkimpy; the sign = false key does not sign")
    func dualSigning() async throws {
        let keys = try Keys(Self.dualKeys)
        defer { keys.remove() }
        let lab = try OutboundLab(extraConfig: keys.config, submissionTLS: "starttls")
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"], message: Self.message, options: ["BODY=8BITMIME"])
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        let message = received[0].message
        let fields = Self.signatures(message)
        #expect(fields.count == 2, "\(String(decoding: message, as: UTF8.self))")
        let verdict = try DKIMVerifier.verify(message, records: try keys.records())
        #expect(verdict.signatures == [true, true], "\(verdict.log)")
        let text = String(decoding: message, as: UTF8.self)
        #expect(text.contains("s=rsa2026;") && text.contains("s=ed2026;") && !text.contains("s=old2025"), "\(text)")
        #expect(text.hasSuffix(Self.message), "the message itself is unchanged")
        #expect(text.hasPrefix("DKIM-Signature: "), "the signatures go first, above Loft's Received field")
        _ = try await lab.waitForLog(containing: ["DKIM-signed", "signatures=2"])
    }

    @Test("local delivery stays unsigned while the remote copy is signed")
    func localCopyUnsigned() async throws {
        let keys = try Keys(Array(Self.dualKeys.prefix(1)))
        defer { keys.remove() }
        let lab = try OutboundLab(extraConfig: keys.config)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test", "alice@example.org"], message: Self.message, options: ["BODY=8BITMIME"])
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(Self.signatures(received[0].message).count == 1)
        let local = try await lab.waitForAliceMessages(1)
        #expect(!local[0].contains("DKIM-Signature"), "\(local[0])")
    }

    @Test("a bounce Loft writes to a remote sender is signed with the host name's key, and verifies")
    func bounceToRemoteSenderSigned() async throws {
        let keys = try Keys([("mail.example.org", "bounces", .ed25519SHA256, true)])
        defer { keys.remove() }
        let aliases = keys.directory + "/aliases"
        // alice may send as alice@plain.test (RFC 6409 §6.1 sender check), so her bounce goes to a remote MX.
        try Data("alice@plain.test: alice\n".utf8).write(to: URL(fileURLWithPath: aliases))
        let lab = try OutboundLab(extraConfig: keys.config + "\n[submission]\naliases_file = \"\(aliases)\"\n")
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.4", tls: false)
        try await lab.start()
        let result = try await Subprocess.python(PythonPOP3.prelude + """
            import smtplib
            s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=tls_context(), timeout=20)
            s.login("alice", \(LoftProcess.password.debugDescription))
            s.sendmail("alice@plain.test", ["nobody@nomail.test"], sys.stdin.buffer.read())
            s.quit()
            print("sent")
            """, ["\(lab.loft.port("implicit", protocol: "submission"))"],
            input: Data("From: alice@plain.test\r\nTo: nobody@nomail.test\r\nSubject: bounce me\r\n\r\nbody\r\n".utf8))
        try #require(result.output.contains("sent"), "\(result.output) \(result.errors)")
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(["", "<>"].contains(received[0].envelope.mailFrom) && received[0].envelope.rcptTos == ["alice@plain.test"],
                "\(received[0].envelope.mailFrom) \(received[0].envelope.rcptTos)")
        let text = String(decoding: received[0].message, as: UTF8.self)
        #expect(text.contains("multipart/report") && text.contains("d=mail.example.org;"), "\(text)")
        let verdict = try DKIMVerifier.verify(received[0].message, records: try keys.records())
        #expect(verdict.signatures == [true], "\(verdict.log)\n\(text)")
    }

    @Test("BDAT in two chunks (raw CHUNKING commands): the relayed message verifies")
    func bdat() async throws {
        let keys = try Keys(Array(Self.dualKeys.prefix(1)))
        defer { keys.remove() }
        let lab = try OutboundLab(extraConfig: keys.config)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        let body = Data(Self.message.utf8)
        let split = body.count / 2
        let result = try await Subprocess.python(PythonPOP3.prelude + """
            data = sys.stdin.buffer.read()
            first, second = data[:int(sys.argv[2])], data[int(sys.argv[2]):]
            raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
            s = tls_context().wrap_socket(raw)
            f = s.makefile("rb")
            def reply():
                lines = []
                while True:
                    line = f.readline().decode()
                    lines.append(line.strip())
                    if line[3:4] != "-":
                        return lines
            def send(command):
                s.sendall(command.encode() + b"\\r\\n")
                return reply()
            reply()
            assert any("CHUNKING" in l for l in send("EHLO client.test")), "no CHUNKING"
            token = base64.b64encode(b"\\0alice\\0" + \(LoftProcess.password.debugDescription).encode()).decode()
            assert send("AUTH PLAIN " + token)[-1].startswith("235")
            assert send("MAIL FROM:<alice@example.org> BODY=8BITMIME")[-1].startswith("250")
            assert send("RCPT TO:<bob@dest.test>")[-1].startswith("250")
            s.sendall(b"BDAT %d\\r\\n" % len(first) + first)
            assert reply()[-1].startswith("250")
            s.sendall(b"BDAT %d LAST\\r\\n" % len(second) + second)
            last = reply()[-1]
            assert last.startswith("250"), last
            send("QUIT")
            print("sent")
            """, ["\(lab.loft.port("implicit", protocol: "submission"))", "\(split)"], input: body)
        try #require(result.output.contains("sent"), "\(result.output) \(result.errors)")
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        let verdict = try DKIMVerifier.verify(received[0].message, records: try keys.records())
        #expect(verdict.signatures == [true], "\(verdict.log)")
    }

    @Test("a From domain without a key is sent unsigned")
    func domainWithoutKey() async throws {
        let keys = try Keys([("other.example", "sel", .ed25519SHA256, true)])
        defer { keys.remove() }
        let lab = try OutboundLab(extraConfig: keys.config)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"], message: Self.message, options: ["BODY=8BITMIME"])
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(Self.signatures(received[0].message).isEmpty)
        #expect(String(decoding: received[0].message, as: UTF8.self).hasSuffix(Self.message))
    }

    @Test("a deferred entry keeps its signature: the retry sends exactly the signature made before the first attempt")
    func retrySendsTheSameSignature() async throws {
        let keys = try Keys(Array(Self.dualKeys.prefix(1)))
        defer { keys.remove() }
        let lab = try OutboundLab(retryAfter: "1h", extraConfig: keys.config)
        defer { lab.cleanUp() }
        var behaviour = TestMX.Behaviour()
        behaviour.temporaryFailures = 1
        let mx = try lab.startMX("127.0.0.2", behaviour: behaviour)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"], message: Self.message, options: ["BODY=8BITMIME"])
        let id = try #require(lab.queuedEntries.first).replacingOccurrences(of: ".json", with: "")
        _ = try await lab.waitForLog(containing: ["queue entry deferred", id])
        let envelopePath = "\(lab.loft.directory.path)/data/queue/envelopes/\(id).json"
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: envelopePath))) as? [String: Any])
        let stored = try #require(envelope["dkim_signature"] as? String, "\(envelope)")
        #expect(stored.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256;"), "\(stored)")

        #expect(try await lab.queue("retry", id).status == 0)
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(String(decoding: received[0].message, as: UTF8.self).hasPrefix(stored), "the retry sent the stored fields first")
        #expect(try DKIMVerifier.verify(received[0].message, records: try keys.records()).signatures == [true])
        #expect(lab.loft.log.components(separatedBy: "DKIM-signed").count == 2, "signed once, not again at the retry")
        try await lab.waitForEmptyQueue()
    }

    @Test("a key that cannot be read at signing time defers (4.7.5, nothing sent unsigned); fixed and retried, it goes out signed")
    func unreadableKeyDefers() async throws {
        let keys = try Keys(Array(Self.dualKeys.prefix(1)))
        defer { keys.remove() }
        let lab = try OutboundLab(retryAfter: "1h", extraConfig: keys.config)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        // The start-up check passed; now the key goes away.
        let path = keys.path("rsa2026")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".aside")
        try await lab.submit(to: ["bob@dest.test"], message: Self.message, options: ["BODY=8BITMIME"])
        let line = try await lab.waitForLog(containing: ["cannot DKIM-sign, delivery deferred"])
        #expect(line.contains(path), "\(line)")
        let id = try #require(lab.queuedEntries.first).replacingOccurrences(of: ".json", with: "")
        _ = try await lab.waitForLog(containing: ["queue entry deferred", id])
        let show = try await lab.queue("show", id)
        #expect(show.output.contains("4.7.5") && show.output.contains("cannot DKIM-sign"), "\(show.output)")
        #expect(mx.received().isEmpty, "nothing is sent unsigned")

        try FileManager.default.moveItem(atPath: path + ".aside", toPath: path)
        let retry = try await lab.queue("retry", id)
        #expect(retry.status == 0, "\(retry.output) \(retry.errors)")
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        let verdict = try DKIMVerifier.verify(received[0].message, records: try keys.records())
        #expect(verdict.signatures == [true], "\(verdict.log)")
        try await lab.waitForEmptyQueue()
    }

    @Test("start-up refuses a key file of the wrong algorithm, naming the file and key")
    func wrongAlgorithmRefused() async throws {
        let keys = try Keys([("example.org", "sel", .ed25519SHA256, true)])
        defer { keys.remove() }
        let config = keys.config.replacingOccurrences(of: "\"ed25519-sha256\"", with: "\"rsa-sha256\"")
        let lab = try OutboundLab(extraConfig: config)
        defer { lab.cleanUp() }
        try await lab.loft.makeCertificate()
        let check = try await Subprocess.run(LoftProcess.executable, ["serve", "--check-config", "--config", lab.loft.configPath])
        #expect(check.status != 0)
        let text = check.output + check.errors
        #expect(text.contains(lab.loft.configPath) && text.contains("dkim[0].key_file") && text.contains("ed25519-sha256"), "\(text)")
    }

    @Test("with user = \"nobody\", run as root: start-up reads keys as nobody and refuses one only root can read; generate gives the key to nobody",
          .enabled(if: geteuid() == 0))
    func keysReadAsTheRunUser() async throws {
        let keys = try Keys([("example.org", "sel", .rsaSHA256, true)])
        defer { keys.remove() }
        let lab = try OutboundLab(extraConfig: keys.config)
        defer { lab.cleanUp() }
        let config = try String(contentsOfFile: lab.loft.configPath, encoding: .utf8)
        try Data(("user = \"nobody\"\n" + config).utf8).write(to: URL(fileURLWithPath: lab.loft.configPath))
        try await lab.loft.makeCertificate()
        let check = try await Subprocess.run(LoftProcess.executable, ["serve", "--check-config", "--config", lab.loft.configPath])
        #expect(check.status != 0)
        #expect(check.errors.contains("dkim[0].key_file") && check.errors.contains("read as user nobody"), "\(check.output) \(check.errors)")

        let run = try await Subprocess.run(LoftProcess.executable, [
            "dkim", "generate", "example.org", "--selector", "nobodys", "--config", lab.loft.configPath])
        #expect(run.status == 0, "\(run.errors)")
        let nobody = getpwnam("nobody")!.pointee.pw_uid
        for path in [lab.loft.directory.path + "/data/dkim", lab.loft.directory.path + "/data/dkim/example.org.nobodys.key"] {
            let owner = try FileManager.default.attributesOfItem(atPath: path)[.ownerAccountID] as? Int
            #expect(owner == Int(nobody), "\(path)")
        }
    }

    @Test("loft dkim generate: a 0600 key under DATA_DIR/dkim, a TXT record that matches it, config lines; never overwrites")
    func generate() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let run = try await Subprocess.run(LoftProcess.executable, [
            "dkim", "generate", "Example.org", "--selector", "loft202612", "--config", lab.loft.configPath])
        #expect(run.status == 0, "\(run.output) \(run.errors)")
        let path = lab.loft.directory.path + "/data/dkim/example.org.loft202612.key"
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let line = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("loft202612._domainkey.example.org. IN TXT ") })
        let strings = line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        #expect(strings.count == 2 && strings.allSatisfy { $0.utf8.count <= 255 }, "\(line)")
        let key = try DKIMSigningKey(path: path)
        #expect(DKIMVerifier.txtValue(ofZoneLine: String(line)) == "v=DKIM1; k=rsa; p=\(key.publicKeyBase64)")
        #expect(run.output.contains("[[dkim]]\ndomain = \"example.org\"\nselector = \"loft202612\"\nalgorithm = \"rsa-sha256\"\nkey_file = \"\(path)\""),
                "\(run.output)")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let again = try await Subprocess.run(LoftProcess.executable, [
            "dkim", "generate", "example.org", "--selector", "loft202612", "--config", lab.loft.configPath])
        #expect(again.status != 0 && again.errors.contains("already exists"), "\(again.output) \(again.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        let ed = try await Subprocess.run(LoftProcess.executable, [
            "dkim", "generate", "example.org", "--algorithm", "ed25519", "--out", lab.loft.directory.path + "/ed.key",
            "--config", lab.loft.configPath])
        #expect(ed.status == 0, "\(ed.errors)")
        #expect(ed.output.contains("k=ed25519; p=") && ed.output.contains("algorithm = \"ed25519-sha256\""), "\(ed.output)")
        #expect(ed.output.contains("selector = \"loft20"), "the default selector is loft + year and month: \(ed.output)")
    }
}
