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

    @Test("a wrong password gets -ERR [AUTH], and the next attempt from that address waits")
    func wrongPasswordAndPenalty() async throws {
        let server = try LoftProcess(failureDelay: "1s")
        defer { server.cleanUpNow() }
        try await server.start()
        let result = try await PythonPOP3.run("""
        p = connect("ssl", int(sys.argv[1]))
        replies, times = [], []
        for password in ["wrong", "wrong again"]:
            p.user("alice")
            start = time.monotonic()
            try:
                p.pass_(password)
                replies.append("+OK")
            except poplib.error_proto as e:
                replies.append(e.args[0].decode())
            times.append(time.monotonic() - start)
        print(json.dumps({"replies": replies, "times": times}))
        """, ["\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)")
        struct Outcome: Decodable { var replies: [String]; var times: [Double] }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.replies.allSatisfy { $0.hasPrefix("-ERR [AUTH]") })
        // The penalty is "at least the configured delay" for the attempt after a failure.
        #expect(outcome.times[1] >= 0.95, "second attempt answered after \(outcome.times[1]) s")
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
