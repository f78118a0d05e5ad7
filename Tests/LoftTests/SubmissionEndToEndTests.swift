import Foundation
import Testing

/// Authenticated submission on 587 (STARTTLS) and 465 (implicit TLS), driven by smtplib, swaks
/// and curl; delivered mail is read back with poplib.
@Suite(.serialized) struct SubmissionEndToEndTests {
    static let listeners = [("submission", "starttls"), ("submission", "implicit"), ("pop3", "implicit")]

    static func server(extraConfig: String = "") throws -> LoftProcess {
        try LoftProcess(listeners: listeners, extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n" + extraConfig)
    }

    /// Python helpers: `smtp(mode, port)` connects (and STARTTLS for "starttls"), `fetch_all(port)` reads alice's mail.
    static let prelude = PythonPOP3.prelude + """
    import smtplib
    def smtp(mode, port):
        if mode == "implicit":
            return smtplib.SMTP_SSL("127.0.0.1", port, context=tls_context(), timeout=20)
        s = smtplib.SMTP("127.0.0.1", port, timeout=20)
        s.starttls(context=tls_context())
        return s
    def fetch_all(port):
        p = connect("ssl", port)
        login(p)
        out = []
        for i in range(1, p.stat()[0] + 1):
            out.append(b"\\r\\n".join(p.retr(i)[1]) + b"\\r\\n")
        p.quit()
        return out

    """

    static func python(_ body: String, _ arguments: [String], input: Data = Data()) async throws -> Subprocess.Result {
        try await Subprocess.python(prelude + body, arguments, input: input)
    }

    static let message = "From: alice@example.org\r\nTo: alice@example.org\r\nSubject: hello\r\nMessage-ID: <kept@example.org>\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\n\r\n.dot line\r\nbody \u{e9}\r\n"

    /// Splits a delivered message into the header lines Loft prepended and the rest.
    static func addedHeaders(_ delivered: [UInt8], original: [UInt8]) -> [String]? {
        guard delivered.count >= original.count, Array(delivered.suffix(original.count)) == original else { return nil }
        let prefix = String(decoding: delivered.prefix(delivered.count - original.count), as: UTF8.self)
        return prefix.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    @Test("smtplib over STARTTLS (587) and implicit TLS (465) delivers byte-exact to the Maildir, readable with poplib",
          arguments: ["starttls", "implicit"])
    func smtplibSubmission(mode: String) async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        s = smtp(sys.argv[1], int(sys.argv[2]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        refused = s.sendmail("alice@example.org", ["alice@example.org"], sys.stdin.buffer.read())
        code, text = s.noop()
        s.quit()
        msgs = fetch_all(int(sys.argv[3]))
        print(json.dumps({"refused": list(refused), "messages": [base64.b64encode(m).decode() for m in msgs]}))
        """, [mode, "\(server.port(mode, protocol: "submission"))", "\(server.port("implicit"))"], input: Data(Self.message.utf8))
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var refused: [String]; var messages: [String] }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.refused.isEmpty)
        try #require(outcome.messages.count == 1)
        let delivered = Array(Data(base64Encoded: outcome.messages[0])!)
        let added = try #require(Self.addedHeaders(delivered, original: Array(Self.message.utf8)))
        // Only a Received header was added: Message-ID and Date were present.
        #expect(added.first?.hasPrefix("Received: from ") == true, "\(added)")
        #expect(!added.contains { $0.hasPrefix("Message-ID:") || $0.hasPrefix("Date:") })
        #expect(added.joined().contains("TLSv1."), "the Received header records TLS: \(added)")
    }

    @Test("swaks and curl submit over 587 and 465")
    func swaksAndCurl() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let starttls = server.port("starttls", protocol: "submission")
        let implicit = server.port("implicit", protocol: "submission")
        let swaks = ["--from", "alice@example.org", "--to", "alice@example.org", "--auth", "PLAIN",
                     "--auth-user", "alice", "--auth-password", LoftProcess.password, "--header", "Subject: swaks"]
        let swaks587 = try await Subprocess.run("swaks", swaks + ["--server", "127.0.0.1:\(starttls)", "--tls"])
        #expect(swaks587.status == 0, "\(swaks587.output)")
        let swaks465 = try await Subprocess.run("swaks", swaks + ["--server", "127.0.0.1:\(implicit)", "--tlsc"])
        #expect(swaks465.status == 0, "\(swaks465.output)")
        let upload = Data("From: alice@example.org\r\nSubject: curl\r\n\r\nfrom curl\r\n".utf8)
        let curl = ["-sk", "--user", "alice:\(LoftProcess.password)", "--mail-from", "alice@example.org",
                    "--mail-rcpt", "alice@example.org", "-T", "-"]
        let curl587 = try await Subprocess.run("curl", curl + ["--ssl-reqd", "smtp://127.0.0.1:\(starttls)"], input: upload)
        #expect(curl587.status == 0, "\(curl587.errors)")
        let curl465 = try await Subprocess.run("curl", curl + ["smtps://127.0.0.1:\(implicit)"], input: upload)
        #expect(curl465.status == 0, "\(curl465.errors)")
        let result = try await Self.python("""
        print(json.dumps([m.decode("utf-8", "replace") for m in fetch_all(int(sys.argv[1]))]))
        """, ["\(server.port("implicit"))"])
        let messages = try JSONDecoder().decode([String].self, from: result.stdout)
        #expect(messages.count == 4, "\(result.errors)")
        #expect(messages.filter { $0.contains("Subject: swaks") }.count == 2)
        #expect(messages.filter { $0.contains("from curl") }.count == 2)
        // curl's message had neither Message-ID nor Date: both were added.
        for message in messages where message.contains("from curl") {
            #expect(message.contains("\r\nMessage-ID: <") || message.hasPrefix("Message-ID: <"))
            #expect(message.contains("\r\nDate: ") || message.hasPrefix("Date: "))
        }
    }

    @Test("submission rules: AUTH before STARTTLS, foreign sender, unknown recipient, oversize, MAIL before AUTH")
    func submissionRules() async throws {
        let server = try Self.server(extraConfig: "\n[submission]\nmax_message_size = \"64K\"\n")
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        port = int(sys.argv[1])
        out = {}
        s = smtplib.SMTP("127.0.0.1", port, timeout=20)
        s.ehlo("client.example")
        out["auth_before_tls"] = s.docmd("AUTH", "PLAIN AGFsaWNlAHB3")[0]
        out["mail_before_auth_plain"] = s.docmd("MAIL", "FROM:<alice@example.org>")[0]
        s.starttls(context=tls_context())
        s.ehlo("client.example")
        out["mail_before_auth"] = s.docmd("MAIL", "FROM:<alice@example.org>")[0]
        s.login("alice", \(LoftProcess.password.debugDescription))
        out["foreign_sender"] = s.docmd("MAIL", "FROM:<mallory@example.org>")[0]
        out["sender"] = s.docmd("MAIL", "FROM:<alice@example.org> SIZE=100")[0]
        out["unknown_rcpt"] = s.docmd("RCPT", "TO:<nobody@example.org>")[0]
        out["remote_rcpt"] = s.docmd("RCPT", "TO:<someone@elsewhere.example>")[0]
        out["rset"] = s.rset()[0]
        out["declared_oversize"] = s.docmd("MAIL", "FROM:<alice@example.org> SIZE=100000")[0]
        s.rset()
        # Undeclared size: refused at the end of data, after the whole body was read.
        s.mail("alice@example.org")
        s.rcpt("alice@example.org")
        out["oversize"] = s.data(b"Subject: big\\r\\n\\r\\n" + (b"y" * 998 + b"\\r\\n") * 70)[0]
        out["bogus"] = s.docmd("BOGUS")[0]
        out["noop_after_errors"] = s.noop()[0]
        s.quit()
        print(json.dumps(out))
        """, ["\(server.port("starttls", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let codes = try JSONDecoder().decode([String: Int].self, from: result.stdout)
        #expect(codes["auth_before_tls"] == 538)
        #expect(codes["mail_before_auth_plain"] == 530)
        #expect(codes["mail_before_auth"] == 530)
        #expect(codes["foreign_sender"] == 553)
        #expect(codes["sender"] == 250)
        #expect(codes["unknown_rcpt"] == 550)
        #expect(codes["remote_rcpt"] == 250)
        #expect(codes["declared_oversize"] == 552)
        #expect(codes["oversize"] == 552)
        #expect(codes["bogus"] == 500)
        #expect(codes["noop_after_errors"] == 250)
        #expect(server.aliceMessageFiles().isEmpty)
    }

    @Test("a sender check that cannot be decided (aliases file unreadable) answers 451 4.3.0, not 553")
    func senderCheckTemporaryFailure() async throws {
        let aliasesPath = FileManager.default.temporaryDirectory.appendingPathComponent("loft-aliases-\(UUID().uuidString)").path
        try Data("team@example.org: alice\n".utf8).write(to: URL(fileURLWithPath: aliasesPath))
        defer { try? FileManager.default.removeItem(atPath: aliasesPath) }
        let server = try Self.server(extraConfig: "\n[submission]\naliases_file = \"\(aliasesPath)\"\n")
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        // The admin is replacing the file (it is gone for a moment): an alias added meanwhile is unknown.
        try FileManager.default.removeItem(atPath: aliasesPath)
        let result = try await Self.python("""
        s = smtp("implicit", int(sys.argv[1]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        out = {}
        out["own"] = s.docmd("MAIL", "FROM:<alice@example.org>")
        s.rset()
        out["loaded_alias"] = s.docmd("MAIL", "FROM:<team@example.org>")
        s.rset()
        out["unknown"] = s.docmd("MAIL", "FROM:<sales@example.org>")
        s.quit()
        print(json.dumps({k: "%d %s" % (v[0], v[1].decode()) for k, v in out.items()}))
        """, ["\(server.port("implicit", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let replies = try JSONDecoder().decode([String: String].self, from: result.stdout)
        #expect(replies["own"]?.hasPrefix("250 2.1.0") == true, "\(replies)")
        #expect(replies["loaded_alias"]?.hasPrefix("250 2.1.0") == true, "\(replies)")
        #expect(replies["unknown"]?.hasPrefix("451 4.3.0") == true, "\(replies)")
    }

    @Test("STARTTLS injection: a MAIL FROM pipelined after STARTTLS in the same write is never answered")
    func startTLSInjection() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
        f = s.makefile("rb")
        def reply(f):
            lines = []
            while True:
                line = f.readline().decode()
                lines.append(line.strip())
                if len(line) < 4 or line[3] != "-":
                    return lines
        reply(f)
        s.sendall(b"EHLO client.example\\r\\n")
        reply(f)
        s.sendall(b"STARTTLS\\r\\nMAIL FROM:<alice@example.org>\\r\\n")
        starttls = reply(f)
        t = tls_context().wrap_socket(s)
        g = t.makefile("rb")
        t.sendall(b"EHLO again.example\\r\\n")
        after = reply(g)
        print(json.dumps({"starttls": starttls, "after": after}))
        """, ["\(server.port("starttls", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)")
        let replies = try JSONDecoder().decode([String: [String]].self, from: result.stdout)
        #expect(replies["starttls"]?.first?.hasPrefix("220") == true)
        // The first reply inside TLS answers EHLO, not the injected MAIL FROM.
        #expect(replies["after"]?.first?.hasPrefix("250-") == true, "\(replies)")
        #expect(replies["after"]?.contains { $0.contains("STARTTLS") } == false)
        #expect(replies["after"]?.contains { $0.hasPrefix("250-AUTH") || $0.hasPrefix("250 AUTH") } == true)
    }

    @Test("SMTP smuggling: a bare-LF end of data never creates a second message")
    func smuggling() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        s = smtp("implicit", int(sys.argv[1]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        s.mail("alice@example.org")
        s.rcpt("alice@example.org")
        s.putcmd("DATA")
        data_reply = s.getreply()[0]
        s.send(b"Subject: first\\r\\n\\r\\nhello\\n.\\nMAIL FROM:<alice@example.org>\\r\\nRCPT TO:<alice@example.org>\\r\\nDATA\\r\\nSubject: smuggled\\r\\n\\r\\nsmuggled\\r\\n.\\r\\n")
        end_reply = s.getreply()[0]
        noop = s.noop()[0]
        s.quit()
        print(json.dumps({"data": data_reply, "end": end_reply, "noop": noop}))
        """, ["\(server.port("implicit", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)")
        let codes = try JSONDecoder().decode([String: Int].self, from: result.stdout)
        #expect(codes["data"] == 354)
        #expect(codes["end"].map { $0 >= 500 } == true, "\(codes)")
        #expect(codes["noop"] == 250)
        #expect(server.aliceMessageFiles().isEmpty)
    }

    @Test("BDAT (CHUNKING) delivers binary-exact chunks")
    func bdat() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        s = smtp("implicit", int(sys.argv[1]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        s.mail("alice@example.org")
        s.rcpt("alice@example.org")
        part1 = b"Subject: chunks\\r\\n\\r\\n.first\\r\\n"
        part2 = b"second\\r\\n"
        s.send(b"BDAT %d\\r\\n" % len(part1) + part1)
        r1 = s.getreply()[0]
        s.send(b"BDAT %d LAST\\r\\n" % len(part2) + part2)
        r2 = s.getreply()[0]
        s.quit()
        msgs = fetch_all(int(sys.argv[2]))
        print(json.dumps({"r1": r1, "r2": r2, "bodies": [m.decode() for m in msgs]}))
        """, ["\(server.port("implicit", protocol: "submission"))", "\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var r1: Int; var r2: Int; var bodies: [String] }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.r1 == 250)
        #expect(outcome.r2 == 250)
        #expect(outcome.bodies.count == 1)
        #expect(outcome.bodies.first?.hasSuffix("Subject: chunks\r\n\r\n.first\r\nsecond\r\n") == true)
    }

    @Test("a remote recipient is accepted into the durable spool under data_dir/queue")
    func remoteToSpool() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        s = smtp("implicit", int(sys.argv[1]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        print(json.dumps(s.sendmail("alice@example.org", ["bob@elsewhere.example", "alice@example.org"], b"Subject: out\\r\\n\\r\\nbye\\r\\n")))
        s.quit()
        """, ["\(server.port("implicit", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        #expect(server.aliceMessageFiles().count == 1)
        let queue = "\(server.directory.path)/data/queue"
        let files = FileManager.default.enumerator(atPath: queue)?.allObjects.compactMap { $0 as? String } ?? []
        // Only envelopes/: the queue runner may be rewriting the envelope in tmp/ at this very moment.
        let envelopes = files.filter { $0.hasPrefix("envelopes/") && $0.hasSuffix(".json") }
        #expect(envelopes.count == 1, "\(files)")
        if let envelope = envelopes.first {
            // Only the remote recipient is queued; alice (local) appears only as the sender.
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(queue)/\(envelope)"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(json["sender"] as? String == "alice@example.org")
            let recipients = (json["recipients"] as? [[String: Any]])?.map { $0["address"] as? String }
            #expect(recipients == ["bob@elsewhere.example"], "\(json)")
        }
    }

    @Test("a recipient whose Maildir cannot be written gets a 4xx, nothing is stored, the session goes on")
    func brokenMaildir() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        // A plain file where alice's Maildir directory should be (root ignores permissions, so a
        // chmod would not do).
        let parent = URL(fileURLWithPath: server.aliceMaildir).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: server.aliceMaildir))
        try await server.start(expectedListeners: 3)
        let result = try await Self.python("""
        s = smtp("implicit", int(sys.argv[1]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        s.mail("alice@example.org")
        rcpt = s.rcpt("alice@example.org")[0]
        code = s.data(b"Subject: lost?\\r\\n\\r\\nbody\\r\\n")[0] if rcpt == 250 else rcpt
        print(json.dumps({"code": code, "noop": s.noop()[0]}))
        s.quit()
        """, ["\(server.port("implicit", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let codes = try JSONDecoder().decode([String: Int].self, from: result.stdout)
        #expect(codes["code"].map { (400..<500).contains($0) } == true, "\(codes)")
        #expect(codes["noop"] == 250)
        let queue = "\(server.directory.path)/data/queue"
        let leftovers = (FileManager.default.enumerator(atPath: queue)?.allObjects ?? []).compactMap { $0 as? String }
            .filter { !["tmp", "messages", "envelopes"].contains($0) }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
