import Foundation
import Testing

/// Logins against passwd-file hashes made by standard tools, the failure penalty, `loft user`.
@Suite(.serialized) struct AuthEndToEndTests {
    @Test("hashes from mkpasswd (yescrypt, bcrypt) and openssl passwd -6 log in over POP3")
    func standardToolHashes() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        let password = "s3cret pässword"
        let yescrypt = try await Subprocess.run("mkpasswd", ["-m", "yescrypt", "-s"], input: Data(password.utf8))
        let bcrypt = try await Subprocess.run("mkpasswd", ["-m", "bcrypt", "-s"], input: Data(password.utf8))
        let sha512 = try await Subprocess.run("openssl", ["passwd", "-6", "-stdin"], input: Data(password.utf8))
        for made in [yescrypt, bcrypt, sha512] { #expect(made.status == 0, "\(made.errors)") }
        func hash(_ result: Subprocess.Result) -> String { result.output.trimmingCharacters(in: .whitespacesAndNewlines) }
        let passwd = """
        # made by standard tools
        yes:\(hash(yescrypt))
        blf@example.org:{BLF-CRYPT}\(hash(bcrypt)):1000:1000::/nonexistent-home-unused::
        sha:{SHA512-CRYPT}\(hash(sha512))

        """
        try Data(passwd.utf8).write(to: URL(fileURLWithPath: server.passwdPath))
        try await server.start()
        let result = try await PythonPOP3.run("""
        out = []
        for user in ["yes", "blf", "sha@example.org"]:
            p = connect("ssl", int(sys.argv[1]))
            out.append(login(p, user, sys.argv[2]).decode())
            p.quit()
        print(json.dumps(out))
        """, ["\(server.port("implicit"))", password])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let replies = try JSONDecoder().decode([String].self, from: result.stdout)
        #expect(replies.count == 3)
        #expect(replies.allSatisfy { $0.hasPrefix("+OK") })
    }

    @Test("a wrong password gets -ERR [AUTH], and the next attempt from that address waits; other addresses do not")
    func wrongPasswordAndPenalty() async throws {
        // A delay far longer than the other client's whole session, so the order below is the penalty's
        // doing (no clock is read): A's second attempt is answered only after B, from another address,
        // has connected, logged in and quit.
        let server = try LoftProcess(failureDelay: "5s")
        defer { server.cleanUpNow() }
        try await server.start()
        let result = try await PythonPOP3.run("""
        import select
        port = int(sys.argv[1])
        events = []
        a = connect("ssl", port)  # from 127.0.0.1
        a.user("alice")
        try:
            a.pass_("wrong")
            events.append("A1 +OK")
        except poplib.error_proto as e:
            events.append("A1 " + e.args[0].decode())
        a.user("alice")
        a._putcmd("PASS wrong again")  # sent, answer read later
        raw = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0), timeout=20)
        b = poplib.POP3_SSL.__new__(poplib.POP3_SSL)
        b.sock = tls_context().wrap_socket(raw)
        b.file = b.sock.makefile("rb")
        b._debugging = 0
        b.welcome = b._getresp()
        events.append("B " + login(b).decode()[:3])
        b.quit()
        events.append("A2 answered" if select.select([a.sock], [], [], 0)[0] else "A2 pending")
        try:
            a._getresp()
            events.append("A2 +OK")
        except poplib.error_proto as e:
            events.append("A2 " + e.args[0].decode())
        print(json.dumps(events))
        """, ["\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)")
        let events = try JSONDecoder().decode([String].self, from: result.stdout)
        try #require(events.count == 4, "\(events)")
        #expect(events[0].hasPrefix("A1 -ERR [AUTH]"))
        #expect(events[1] == "B +OK", "another address is not delayed")
        #expect(events[2] == "A2 pending", "the second attempt from the failing address waits out the penalty")
        #expect(events[3].hasPrefix("A2 -ERR [AUTH]"))
        #expect(!server.log.contains("wrong again"))
    }

    @Test("`loft user add` then login works without a restart; `user del` locks the user out")
    func userAddWithoutRestart() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let add = try await Subprocess.run(LoftProcess.executable, ["user", "add", "--config", server.configPath, "bob"], input: Data("bobs password\n".utf8))
        #expect(add.status == 0, "\(add.errors)")
        let list = try await Subprocess.run(LoftProcess.executable, ["user", "list", "--config", server.configPath])
        #expect(list.output.split(separator: "\n").map(String.init) == ["alice", "bob"])
        let login = """
        p = connect("stls", int(sys.argv[1]))
        try:
            print(login(p, "bob", "bobs password").decode())
            p.quit()
        except poplib.error_proto as e:
            print(e.args[0].decode())
        """
        let first = try await PythonPOP3.run(login, ["\(server.port("starttls"))"])
        #expect(first.output.hasPrefix("+OK"), "\(first.output) \(first.errors)")
        let del = try await Subprocess.run(LoftProcess.executable, ["user", "del", "--config", server.configPath, "bob"])
        #expect(del.status == 0, "\(del.errors)")
        let second = try await PythonPOP3.run(login, ["\(server.port("starttls"))"])
        #expect(second.output.hasPrefix("-ERR [AUTH]"), "\(second.output) \(second.errors)")
    }
}

/// Start-up and shutdown as an admin sees them.
@Suite(.serialized) struct LifecycleEndToEndTests {
    @Test("SIGTERM tells a connected session -ERR and the process exits 0")
    func gracefulShutdown() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        try await server.start()
        let pid = server.process!.processIdentifier
        let result = try await PythonPOP3.run("""
        import os, signal
        p = connect("ssl", int(sys.argv[1]))
        login(p)
        os.kill(int(sys.argv[2]), signal.SIGTERM)
        print(p.file.readline().decode().strip())
        """, ["\(server.port("implicit"))", "\(pid)"])
        #expect(result.output.hasPrefix("-ERR [SYS/TEMP]"), "\(result.output) \(result.errors)")
        #expect(await server.stop() == 0)
    }

    @Test("a config error names the file, the key and the problem")
    func configError() async throws {
        let server = try LoftProcess(extraConfig: "\n[pop3]\nidle_timeout = 5\n")
        defer { server.cleanUpNow() }
        try await server.makeCertificate()
        let result = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", server.configPath], timeout: .seconds(20))
        #expect(result.status != 0)
        #expect(result.errors.contains("loft.toml"), "\(result.errors)")
        #expect(result.errors.contains("pop3.idle_timeout"), "\(result.errors)")
    }
}

/// The README's first command: `loft serve` with no config file.
@Suite(.serialized) struct DemoEndToEndTests {
    @Test("the demo makes ./loft-data, prints the demo password once, and serves POP3 on 1110 and 1995")
    func demo() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("stdout")
        try Data().write(to: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LoftProcess.executable)
        process.arguments = ["serve"]
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
        }
        var text = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while !text.contains("listening on"), process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        }
        let password = try #require(text.firstMatch(of: /password: (\S+)/)?.1).description
        #expect(text.contains("pop3 127.0.0.1:1110 tls=starttls"))
        #expect(text.contains("pop3 127.0.0.1:1995 tls=implicit"))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("loft-data/tls/cert.pem").path))

        let result = try await PythonPOP3.run("""
        out = []
        for mode, port in [("ssl", 1995), ("stls", 1110)]:
            p = connect(mode, port)
            out.append(login(p, "demo", sys.argv[1]).decode())
            p.quit()
        print(json.dumps(out))
        """, [password])
        #expect(result.status == 0, "\(result.errors)")
        #expect(try JSONDecoder().decode([String].self, from: result.stdout).allSatisfy { $0.hasPrefix("+OK") })
    }
}

/// `user = "NAME"`: bind as root, then run as that user. Only meaningful when the tests run as root (as CI does).
@Suite(.serialized) struct PrivilegeDropEndToEndTests {
    @Test("started as root with user = \"nobody\", the server runs as nobody and still serves", .enabled(if: geteuid() == 0))
    func dropsToUser() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        var config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        config = "user = \"nobody\"\n" + config
        try Data(config.utf8).write(to: URL(fileURLWithPath: server.configPath))
        // nobody must be able to reach data_dir; data_dir itself does not exist yet: Loft makes it nobody's.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: server.directory.path)
        try await server.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while !server.log.contains("dropped privileges") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Every live thread (the main thread has exited into dispatch_main and is a zombie).
        let pid = server.process!.processIdentifier
        let nobody = getpwnam("nobody")!.pointee.pw_uid
        var liveThreads = 0
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            let status = try String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            let fields = Dictionary(status.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }, uniquingKeysWith: { first, _ in first })
            guard fields["State"]?.hasPrefix("Z") == false else { continue }
            liveThreads += 1
            let uids = (fields["Uid"] ?? "").split(whereSeparator: \.isWhitespace).compactMap { UInt32($0) }
            #expect(uids == [nobody, nobody, nobody, nobody], "thread \(task): Uid \(uids)")
        }
        #expect(liveThreads > 0)
        #expect(server.log.contains("dropped privileges"))
        let result = try await PythonPOP3.run("""
        p = connect("ssl", int(sys.argv[1]))
        print(login(p).decode())
        print(p.stat()[0])
        p.quit()
        """, ["\(server.port("implicit"))"])
        #expect(result.output.hasPrefix("+OK"), "\(result.output) \(result.errors) \(server.log)")
    }
}

@Suite struct IPv6EndToEndTests {
    @Test("a listener on [::1] serves POP3 over implicit TLS")
    func ipv6Loopback() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "starttls")],
            extraConfig: "\n[[listener]]\nprotocol = \"pop3\"\naddress = \"[::1]:0\"\ntls = \"implicit\"\n"
        )
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let result = try await Subprocess.python(PythonPOP3.prelude + """
        p = poplib.POP3_SSL("::1", int(sys.argv[1]), context=tls_context(), timeout=20)
        print(login(p).decode())
        p.quit()
        """, ["\(server.port("implicit"))"])
        #expect(result.output.hasPrefix("+OK"), "\(result.output) \(result.errors)")
        #expect(server.log.contains("listener=pop3 [::1]:"))
    }
}
