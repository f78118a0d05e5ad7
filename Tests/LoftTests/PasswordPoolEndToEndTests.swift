import Foundation
import Testing

/// Password checks run on their own pool (`auth_threads`), apart from disk work
/// (`disk_threads`): a queue of slow crypt calls does not hold up a message commit.
@Suite(.serialized) struct PasswordPoolEndToEndTests {
    static let slowAttempts = 8

    @Test("a commit completes while the crypt pool is saturated: alice's 250 after DATA arrives before most of 8 queued slow AUTHs are answered")
    func commitWhileCryptPoolIsSaturated() async throws {
        let server = try LoftProcess(
            listeners: [("submission", "implicit")],
            extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n\n[limits]\nauth_threads = 1\n")
        defer { server.cleanUpNow() }
        // bcrypt at cost 12: a few tenths of a second per check on this kind of machine, so
        // eight of them keep the single auth thread busy for seconds.
        let slowPassword = "slow but correct"
        let made = try await Subprocess.run("mkpasswd", ["-m", "bcrypt", "-R", "12", "-s"], input: Data(slowPassword.utf8))
        try #require(made.status == 0, "\(made.errors)")
        let slowHash = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(slowHash.hasPrefix("$2b$12$"), "\(slowHash)")
        let passwd = try String(contentsOfFile: server.passwdPath, encoding: .utf8) + "slow:{BLF-CRYPT}\(slowHash)\n"
        try Data(passwd.utf8).write(to: URL(fileURLWithPath: server.passwdPath))
        try await server.start(expectedListeners: 1)

        // Events are recorded in the order their replies arrive; no clock is read.
        let result = try await Subprocess.python(PythonPOP3.prelude + """
        import selectors
        port, slow_password, attempts = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        def conn():
            s = tls_context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30))
            f = s.makefile("rb")
            return s, f
        def reply(f):
            lines = []
            while True:
                l = f.readline().decode()
                lines.append(l.rstrip("\\r\\n"))
                if len(l) < 4 or l[3] != "-":
                    return lines
        def command(s, f, text):
            s.sendall(text.encode() + b"\\r\\n")
            return reply(f)[-1]
        def plain(user, password):
            return "AUTH PLAIN " + base64.b64encode(("\\0" + user + "\\0" + password).encode()).decode()
        out = {}
        # alice logs in (fast hash) and gets as far as DATA.
        a, af = conn()
        reply(af)
        command(a, af, "EHLO alice.example")
        out["alice_auth"] = command(a, af, plain("alice", \(LoftProcess.password.debugDescription)))
        out["alice_mail"] = command(a, af, "MAIL FROM:<alice@example.org>")
        out["alice_rcpt"] = command(a, af, "RCPT TO:<alice@example.org>")
        out["alice_data"] = command(a, af, "DATA")
        # The slow user's connections, greeted and past EHLO, then all AUTHs at once.
        slow = []
        for i in range(attempts):
            s, f = conn()
            reply(f)
            command(s, f, "EHLO slow%d.example" % i)
            slow.append((s, f))
        for s, _ in slow:
            s.sendall((plain("slow", slow_password) + "\\r\\n").encode())
        events = []
        sel = selectors.DefaultSelector()
        for i, (s, f) in enumerate(slow):
            sel.register(s, selectors.EVENT_READ, ("slow%d" % i, f))
        def wait_until(done):
            while sel.get_map() and not done():
                ready = sel.select(timeout=60)
                if not ready:
                    raise SystemExit("no reply within 60 s: %r" % events)
                for key, _ in ready:
                    name, f = key.data
                    events.append([name, reply(f)[-1]])
                    sel.unregister(key.fileobj)
        # The first slow answer: the single auth thread is at work and the rest are queued.
        wait_until(lambda: len(events) >= 1)
        # Now finish alice's message while the remaining AUTHs wait their turn.
        sel.register(a, selectors.EVENT_READ, ("alice", af))
        a.sendall(b"From: alice@example.org\\r\\nTo: alice@example.org\\r\\nSubject: during an auth flood\\r\\n\\r\\ncommitted\\r\\n.\\r\\n")
        wait_until(lambda: False)
        out["events"] = events
        for s, f in slow:
            out.setdefault("slow_mail", []).append(command(s, f, "MAIL FROM:<slow@example.org>")[:3])
        out["alice_quit"] = command(a, af, "QUIT")
        print(json.dumps(out))
        """, ["\(server.port("implicit", protocol: "submission"))", slowPassword, "\(Self.slowAttempts)"], timeout: .seconds(60))
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable {
            var alice_auth: String; var alice_mail: String; var alice_rcpt: String; var alice_data: String
            var events: [[String]]; var slow_mail: [String]; var alice_quit: String
        }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.alice_auth.hasPrefix("235"))
        #expect(outcome.alice_mail.hasPrefix("250") && outcome.alice_rcpt.hasPrefix("250"))
        #expect(outcome.alice_data.hasPrefix("354"))
        try #require(outcome.events.count == Self.slowAttempts + 1, "\(outcome.events)")
        let aliceIndex = try #require(outcome.events.firstIndex { $0[0] == "alice" }, "\(outcome.events)")
        #expect(outcome.events[aliceIndex][1].hasPrefix("250"), "\(outcome.events)")
        // Every slow AUTH succeeded (a correct password: no failure penalty in the way).
        #expect(outcome.events.filter { $0[0] != "alice" }.allSatisfy { $0[1].hasPrefix("235") }, "\(outcome.events)")
        let slowAnsweredBeforeAlice = outcome.events[..<aliceIndex].count
        #expect(slowAnsweredBeforeAlice <= Self.slowAttempts / 2,
                "alice's commit waited for the crypt queue: \(slowAnsweredBeforeAlice) slow AUTHs answered first: \(outcome.events)")
        #expect(outcome.slow_mail == Array(repeating: "250", count: Self.slowAttempts), "the slow user's sessions are logged in")
        #expect(outcome.alice_quit.hasPrefix("221"))
        let files = server.aliceMessageFiles()
        try #require(files.count == 1, "\(files)")
        let stored = try String(contentsOfFile: "\(server.aliceMaildir)/\(files[0])", encoding: .utf8)
        #expect(stored.contains("Subject: during an auth flood\r\n"))
        #expect(stored.hasSuffix("\r\ncommitted\r\n"))
    }
}
