import Foundation
import Testing

/// The real `loft serve` driven by Python's poplib and curl over STLS and implicit TLS.
@Suite(.serialized) struct POP3EndToEndTests {
    /// Messages that trip careless servers: dot lines, 8-bit bytes, no final newline.
    static let tricky: [[UInt8]] = [
        Array("From: a@example.org\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n".utf8),
        Array("From: b@example.org\r\nSubject: 8bit\r\n\r\n".utf8) + [0xC3, 0xA9, 0xFF, 0x00, 0x80, 0x0D, 0x0A],
        Array("From: c@example.org\r\nSubject: no final newline\r\n\r\nlast line".utf8),
    ]

    /// What POP3 must deliver for a stored message: CRLF endings, a final CRLF.
    static func transmitted(_ message: [UInt8]) -> [UInt8] {
        message.last == 0x0A ? message : message + [0x0D, 0x0A]
    }

    @Test("RETR is byte-exact over STLS and implicit TLS with poplib", arguments: ["stls", "ssl"])
    func retrieveWithPoplib(mode: String) async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        for message in Self.tricky { try server.deliverToAlice(message) }
        try await server.start()
        let port = server.port(mode == "ssl" ? "implicit" : "starttls")
        let result = try await PythonPOP3.run("""
        p = connect(sys.argv[1], int(sys.argv[2]))
        login(p)
        count, size = p.stat()
        out = []
        for i in range(1, count + 1):
            resp, lines, octets = p.retr(i)
            out.append(base64.b64encode(b"\\r\\n".join(lines) + b"\\r\\n").decode())
        p.quit()
        print(json.dumps({"count": count, "messages": out}))
        """, [mode, "\(port)"])
        #expect(result.status == 0, "\(result.errors)")
        let decoded = try JSONDecoder().decode(Retrieved.self, from: result.stdout)
        #expect(decoded.count == 3)
        #expect(decoded.messages.map { Array(Data(base64Encoded: $0)!) } == Self.tricky.map(Self.transmitted))
    }

    struct Retrieved: Decodable { var count: Int; var messages: [String] }

    @Test("RETRs pipelined in one write (read ahead from the Maildir) get the bytes poplib gets one at a time")
    func pipelinedRetrievals() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        for message in Self.tricky { try server.deliverToAlice(message) }
        for n in 0..<60 {
            let size = n == 30 ? 200_000 : 300 + 97 * n  // one message too big to be read ahead
            var text = "From: x@example.org\r\nSubject: \(n)\r\n\r\n"
            while text.utf8.count < size { text += n % 3 == 0 ? ".dot line \(n)\r\n" : "line of \(n)\r\n" }
            try server.deliverToAlice(Array(text.utf8))
        }
        try await server.start()
        let result = try await PythonPOP3.run("""
        p = connect("ssl", int(sys.argv[1]))
        login(p)
        count, _ = p.stat()
        one_at_a_time = [b"\\r\\n".join(p.retr(i)[1]) + b"\\r\\n" for i in range(1, count + 1)]
        # Every RETR in one write, a DELE in the middle and a RETR of the deleted message.
        commands = [f"RETR {i}" for i in range(1, 40)] + ["DELE 5", "RETR 5"] + [f"RETR {i}" for i in range(40, count + 1)]
        p.sock.sendall("".join(c + "\\r\\n" for c in commands).encode())
        answers = []
        for command in commands:
            status = p.file.readline()
            if not command.startswith("RETR") or not status.startswith(b"+OK"):
                answers.append(status.decode().strip())
                continue
            lines = []
            while (line := p.file.readline()) != b".\\r\\n":
                lines.append(line[1:] if line.startswith(b"..") else line)
            answers.append(b"".join(lines))
        expected = [one_at_a_time[i - 1] for i in range(1, 40)] + ["+OK Message 5 deleted.", "-ERR No such message."] + \\
                   [one_at_a_time[i - 1] for i in range(40, count + 1)]
        p.rset()
        p.quit()
        print(json.dumps({"count": count, "same": answers == expected,
                          "first_difference": next((i for i, (a, b) in enumerate(zip(answers, expected)) if a != b), None)}))
        """, ["\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)")
        let outcome = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        #expect(outcome?["count"] as? Int == 63)
        #expect(outcome?["same"] as? Bool == true, "first difference at answer \(outcome?["first_difference"] ?? "?")")
        #expect(!server.log.contains(" error "))
    }

    @Test("curl pop3s:// and pop3:// with --ssl-reqd fetch the exact bytes")
    func retrieveWithCurl() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        for message in Self.tricky { try server.deliverToAlice(message) }
        try await server.start()
        let credentials = "alice:\(LoftProcess.password)"
        for (index, message) in Self.tricky.enumerated() {
            let implicit = try await Subprocess.run("curl", ["-sk", "--user", credentials, "pop3s://127.0.0.1:\(server.port("implicit"))/\(index + 1)"])
            #expect(implicit.status == 0, "\(implicit.errors)")
            #expect(Array(implicit.stdout) == Self.transmitted(message))
            let explicit = try await Subprocess.run("curl", ["-sk", "--ssl-reqd", "--user", credentials, "pop3://127.0.0.1:\(server.port("starttls"))/\(index + 1)"])
            #expect(explicit.status == 0, "\(explicit.errors)")
            #expect(Array(explicit.stdout) == Self.transmitted(message))
        }
    }

    @Test("DELE + QUIT removes the message from disk; DELE then a dropped connection keeps it")
    func deleteSemantics() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        for message in Self.tricky { try server.deliverToAlice(message) }
        try await server.start()
        let port = "\(server.port("implicit"))"
        #expect(server.aliceMessageFiles().count == 3)

        let dropped = try await PythonPOP3.run("""
        p = connect("ssl", int(sys.argv[1]))
        login(p)
        print(p.dele(1).decode())
        p.sock.shutdown(socket.SHUT_RDWR)
        p.sock.close()
        """, [port])
        #expect(dropped.output.hasPrefix("+OK"), "\(dropped.errors)")
        // Once the server has finished with that session, nothing may have been deleted.
        try await server.waitForLog(suffix: " disconnected", count: 1)
        #expect(server.aliceMessageFiles().count == 3)

        let quit = try await PythonPOP3.run("""
        p = connect("ssl", int(sys.argv[1]))
        login(p)
        p.dele(1)
        p.dele(3)
        print(p.quit().decode())
        """, [port])
        #expect(quit.output.hasPrefix("+OK"), "\(quit.errors)")
        let left = server.aliceMessageFiles()
        #expect(left.count == 1)
        if let only = left.first {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(server.aliceMaildir)/\(only)"))
            #expect(Array(bytes) == Self.tricky[1])
        }
    }

    @Test("UIDL values survive a restart; a new message gets a new one")
    func uidlAfterRestart() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        for message in Self.tricky { try server.deliverToAlice(message) }
        let uidl = """
        p = connect("stls", int(sys.argv[1]))
        login(p)
        resp, lines, octets = p.uidl()
        p.quit()
        print(json.dumps([l.decode() for l in lines]))
        """
        try await server.start()
        let before = try await PythonPOP3.run(uidl, ["\(server.port("starttls"))"])
        #expect(before.status == 0, "\(before.errors)")
        await server.stop()
        try server.deliverToAlice(Array("Subject: later\r\n\r\nnew\r\n".utf8))
        try await server.start()
        let after = try await PythonPOP3.run(uidl, ["\(server.port("starttls"))"])
        let first = try JSONDecoder().decode([String].self, from: before.stdout)
        let second = try JSONDecoder().decode([String].self, from: after.stdout)
        #expect(first.count == 3)
        #expect(Array(second.prefix(3)) == first)
        #expect(second.count == 4)
        #expect(Set(second.map { $0.split(separator: " ")[1] }).count == 4)
    }

    @Test("a second session of the same user gets -ERR [IN-USE]")
    func inUse() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let result = try await PythonPOP3.run("""
        port = int(sys.argv[1])
        first = connect("ssl", port)
        login(first)
        second = connect("ssl", port)
        second.user("alice")
        try:
            second.pass_(\(LoftProcess.password.debugDescription))
            print("second login accepted")
        except poplib.error_proto as e:
            print(e.args[0].decode())
        first.quit()
        third = connect("ssl", port)
        print(login(third).decode())
        third.quit()
        """, ["\(server.port("implicit"))"])
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(result.output) \(result.errors)")
        #expect(lines.first?.hasPrefix("-ERR [IN-USE]") == true)
        #expect(lines.last?.hasPrefix("+OK") == true)
    }

    @Test("STLS injection: a USER pipelined after STLS in the same write is never answered")
    func startTLSInjection() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let result = try await PythonPOP3.run("""
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
        f = s.makefile("rb")
        greeting = f.readline()
        s.sendall(b"STLS\\r\\nUSER alice\\r\\n")
        stls = f.readline()
        t = tls_context().wrap_socket(s)
        t.sendall(b"PASS " + \(LoftProcess.password.debugDescription).encode() + b"\\r\\n")
        g = t.makefile("rb")
        print(json.dumps({"stls": stls.decode(), "after": g.readline().decode()}))
        """, ["\(server.port("starttls"))"])
        #expect(result.status == 0, "\(result.errors)")
        let replies = try JSONDecoder().decode([String: String].self, from: result.stdout)
        #expect(replies["stls"]?.hasPrefix("+OK") == true)
        // Had USER been read, PASS would log in; instead PASS finds no user name.
        #expect(replies["after"] == "-ERR No user name given: send USER first.\r\n")
        #expect(server.log.contains("discarded plaintext pipelined after STLS"))
    }

    @Test("before STLS, USER is refused with [AUTH] and CAPA offers STLS")
    func plaintextRefused() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let result = try await PythonPOP3.run("""
        p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
        caps = p.capa()
        try:
            p.user("alice")
            print("USER accepted")
        except poplib.error_proto as e:
            print(e.args[0].decode())
        print(json.dumps(sorted(caps.keys())))
        """, ["\(server.port("starttls"))"])
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("-ERR [AUTH]") == true, "\(result.output) \(result.errors)")
        #expect(lines.last?.contains("\"STLS\"") == true)
        #expect(lines.last?.contains("\"USER\"") == false)
    }

    @Test("protocol errors get -ERR and the session stays usable")
    func badInput() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try server.deliverToAlice(Self.tricky[0])
        try await server.start()
        let result = try await PythonPOP3.run("""
        p = connect("ssl", int(sys.argv[1]))
        login(p)
        out = []
        for cmd in ["BOGUS", "RETR 99", "RETR x", "DELE 0", "X" * 2000, "TOP 1"]:
            try:
                out.append(p._shortcmd(cmd).decode())
            except poplib.error_proto as e:
                out.append(e.args[0].decode())
        out.append(p.stat()[0])
        p.quit()
        print(json.dumps(out))
        """, ["\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)")
        let replies = try JSONDecoder().decode([StringOrInt].self, from: result.stdout)
        #expect(replies.prefix(6).allSatisfy { $0.string?.hasPrefix("-ERR") == true })
        #expect(replies.last?.int == 1)
        #expect(server.aliceMessageFiles().count == 1)
    }

    enum StringOrInt: Decodable {
        case string(String), int(Int)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
        }
        var string: String? { if case .string(let s) = self { s } else { nil } }
        var int: Int? { if case .int(let i) = self { i } else { nil } }
    }
}
