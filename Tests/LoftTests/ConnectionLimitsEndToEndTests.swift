import Foundation
import Testing

/// `[limits]` against the real server: connection limits checked at accept (total and per
/// address, on plaintext, STARTTLS and implicit-TLS ports), the rate-limited refusal log,
/// logged-in sessions per user and address, and the login timeout. Clients are Python's
/// `socket`, `ssl`, `poplib` and `smtplib`; every source address is on 127.0.0.0/8.
@Suite(.serialized) struct ConnectionLimitsEndToEndTests {
    static let hostname = "mail.example.org"
    static let pop3Refusal = "-ERR [SYS/TEMP] Too many connections, try again later."
    static let smtpRefusal = "421 4.7.0 \(hostname) Too many connections, try again later"

    /// `open_conn(port, src, tls)` connects from `src` (wrapped in TLS without certificate
    /// checks when `tls`) and returns the socket and the first line; `line(s)` reads one line;
    /// `closed(s)` reads to the end and says how it ended ("eof", or the error's name).
    static let prelude = PythonPOP3.prelude + """
    import smtplib
    def open_conn(port, src="127.0.0.1", tls=False):
        s = socket.create_connection(("127.0.0.1", port), source_address=(src, 0), timeout=20)
        if tls:
            s = tls_context().wrap_socket(s)
        return s, line(s)
    def line(s):
        buf = b""
        while not buf.endswith(b"\\r\\n"):
            try:
                chunk = s.recv(1)
            except (ssl.SSLError, OSError) as e:
                return buf.decode() + "<" + type(e).__name__ + ">"
            if not chunk:
                return buf.decode() + "<eof>"
            buf += chunk
        return buf[:-2].decode()
    def closed(s):
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return "eof"
                if chunk:
                    return "data:" + chunk.decode("utf-8", "replace")
        except ssl.SSLEOFError:
            return "eof"
        except (ssl.SSLError, OSError) as e:
            return type(e).__name__

    """

    static func python(_ body: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Subprocess.Result {
        try await Subprocess.python(prelude + body, arguments, timeout: timeout)
    }

    static func limits(_ lines: String) -> String { "\n[limits]\n" + lines + "\n" }

    /// Log lines that record a refused connection.
    static func refusalLogLines(_ server: LoftProcess) -> [Substring] {
        server.log.split(separator: "\n").filter { $0.contains("connection refused") }
    }

    @Test("loft serve refuses out-of-range [limits] values, naming the key and the accepted range", arguments: [
        ("login_timeout = \"500ms\"", "limits.login_timeout: must be at least 1s, got \"500ms\""),
        ("max_connections = 0", "limits.max_connections: must be from 1 to 1000000, got 0"),
        ("max_connections_per_ip = 0", "limits.max_connections_per_ip: must be from 1 to 1000000, got 0"),
        ("max_sessions_per_user_ip = -1", "limits.max_sessions_per_user_ip: must be from 1 to 1000000, got -1"),
        ("auth_threads = 0", "limits.auth_threads: must be from 1 to 256, got 0"),
        ("disk_threads = 300", "limits.disk_threads: must be from 1 to 256, got 300"),
    ])
    func refusedLimitValues(line: String, message: String) async throws {
        let server = try LoftProcess(listeners: [("pop3", "starttls")], extraConfig: Self.limits(line))
        defer { server.cleanUpNow() }
        let result = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", server.configPath], timeout: .seconds(20))
        #expect(result.status != 0)
        #expect(result.errors.contains(message), "\(result.errors)")
    }

    @Test("max_connections_per_ip = 3: the 4th POP3 connection from 127.0.0.1 is refused and closed; 127.0.0.2 is served; a freed slot serves 127.0.0.1 again")
    func perAddressLimitPOP3() async throws {
        let server = try LoftProcess(listeners: [("pop3", "starttls")], extraConfig: Self.limits("max_connections_per_ip = 3"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let result = try await Self.python("""
        port = int(sys.argv[1])
        out = {}
        held = [open_conn(port) for _ in range(3)]
        out["held"] = [g for _, g in held]
        over, out["over"] = open_conn(port)
        out["over_end"] = closed(over)
        # The three held connections are untouched by the refusal.
        def capa(s):
            s.sendall(b"CAPA\\r\\n")
            first = line(s)
            while first.startswith("+OK") and line(s) not in (".", "<eof>"):
                pass
            return first
        out["held_capa"] = [capa(s) for s, _ in held]
        other, out["other_address"] = open_conn(port, "127.0.0.2")
        # Free one slot: QUIT, and wait for the server to close it.
        held[0][0].sendall(b"QUIT\\r\\n")
        out["quit"] = line(held[0][0])
        out["quit_end"] = closed(held[0][0])
        # The server counts the slot free once its side of the close is done: retry until
        # greeted (each retry that comes too early is refused like any other).
        out["again"] = None
        for attempt in range(200):
            s, greeting = open_conn(port)
            if not greeting.startswith("-ERR"):
                out["again"] = greeting
                out["retries"] = attempt
                break
            closed(s)
            time.sleep(0.02)
        print(json.dumps(out))
        """, ["\(server.port("starttls"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable {
            var held: [String]; var over: String; var over_end: String; var held_capa: [String]
            var other_address: String; var quit: String; var quit_end: String; var again: String?
        }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.held.count == 3)
        #expect(outcome.held.allSatisfy { $0.hasPrefix("+OK") }, "\(outcome.held)")
        #expect(outcome.over == Self.pop3Refusal)
        #expect(outcome.over_end == "eof")
        #expect(outcome.held_capa.allSatisfy { $0.hasPrefix("+OK") }, "\(outcome.held_capa)")
        #expect(outcome.other_address.hasPrefix("+OK"), "another address has its own count")
        #expect(outcome.quit.hasPrefix("+OK"))
        #expect(outcome.quit_end == "eof")
        #expect(outcome.again?.hasPrefix("+OK") == true, "a closed connection frees its slot: \(String(describing: outcome.again))")
        let refusals = Self.refusalLogLines(server)
        #expect(refusals.first?.contains("limits.max_connections_per_ip reached") == true, "\(server.log)")
        #expect(refusals.first?.contains("peer=127.0.0.1 ") == true, "\(refusals)")
    }

    @Test("the refusal on a submission port is 421 4.7.0, and on an implicit-TLS POP3 port it comes through TLS")
    func refusalOnSubmissionAndImplicitTLS() async throws {
        let server = try LoftProcess(
            listeners: [("submission", "starttls"), ("pop3", "implicit")], extraConfig: Self.limits("max_connections_per_ip = 2"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let result = try await Self.python("""
        smtp_port, pop3_port = int(sys.argv[1]), int(sys.argv[2])
        out = {}
        # The limit counts connections from one address over every listener.
        a, out["held_smtp"] = open_conn(smtp_port)
        b, out["held_pop3_tls"] = open_conn(pop3_port, tls=True)
        c, out["smtp"] = open_conn(smtp_port)
        out["smtp_end"] = closed(c)
        d, out["pop3_tls"] = open_conn(pop3_port, tls=True)
        out["pop3_tls_version"] = d.version()
        out["pop3_tls_end"] = closed(d)
        a.sendall(b"NOOP\\r\\n")
        out["held_smtp_noop"] = line(a)
        print(json.dumps(out))
        """, ["\(server.port("starttls", protocol: "submission"))", "\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let outcome = try JSONDecoder().decode([String: String].self, from: result.stdout)
        #expect(outcome["held_smtp"]?.hasPrefix("220 ") == true, "\(outcome)")
        #expect(outcome["held_pop3_tls"]?.hasPrefix("+OK") == true, "\(outcome)")
        #expect(outcome["smtp"] == Self.smtpRefusal, "\(outcome)")
        #expect(outcome["smtp_end"] == "eof", "\(outcome)")
        #expect(outcome["pop3_tls"] == Self.pop3Refusal, "\(outcome)")
        #expect(outcome["pop3_tls_version"]?.hasPrefix("TLSv1.") == true, "the refusal came after the handshake: \(outcome)")
        #expect(outcome["pop3_tls_end"] == "eof", "\(outcome)")
        #expect(outcome["held_smtp_noop"]?.hasPrefix("250") == true, "\(outcome)")
    }

    @Test("max_connections = 3 counts every address: a 4th address is refused, with the reason logged")
    func totalLimit() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "starttls"), ("submission", "starttls")], extraConfig: Self.limits("max_connections = 3"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let result = try await Self.python("""
        pop3_port, smtp_port = int(sys.argv[1]), int(sys.argv[2])
        out = {}
        held = [open_conn(pop3_port, "127.0.0.1"), open_conn(smtp_port, "127.0.0.2"), open_conn(pop3_port, "127.0.0.3")]
        out["held"] = [g for _, g in held]
        s, out["pop3"] = open_conn(pop3_port, "127.0.0.4")
        out["pop3_end"] = closed(s)
        s, out["smtp"] = open_conn(smtp_port, "127.0.0.5")
        out["smtp_end"] = closed(s)
        print(json.dumps(out))
        """, ["\(server.port("starttls"))", "\(server.port("starttls", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var held: [String]; var pop3: String; var pop3_end: String; var smtp: String; var smtp_end: String }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.held.count == 3)
        #expect(outcome.held[0].hasPrefix("+OK") && outcome.held[1].hasPrefix("220 ") && outcome.held[2].hasPrefix("+OK"), "\(outcome.held)")
        #expect(outcome.pop3 == Self.pop3Refusal)
        #expect(outcome.pop3_end == "eof")
        #expect(outcome.smtp == Self.smtpRefusal)
        #expect(outcome.smtp_end == "eof")
        let refusals = Self.refusalLogLines(server)
        #expect(refusals.count == 1, "\(refusals)")
        #expect(refusals.first?.contains("limits.max_connections reached") == true, "\(server.log)")
        #expect(refusals.first?.contains("peer=127.0.0.4 ") == true, "the first refused address: \(refusals)")
    }

    @Test("connections refused for one address do not count toward max_connections, even while they linger in an unfinished TLS handshake")
    func refusedConnectionsDoNotFillTheTotal() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "implicit")], extraConfig: Self.limits("max_connections = 4\nmax_connections_per_ip = 2"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        // Each lingering client sends a ClientHello and waits for the server's first flight:
        // the server put its TLS handler in place, so it has already counted (and refused) the
        // connection. The client never finishes the handshake, so the refusal waits on it
        // (up to the refusal handler's own timeout, far longer than this test).
        let result = try await Self.python("""
        import select
        port = int(sys.argv[1])
        out = {}
        held = [open_conn(port, tls=True) for _ in range(2)]
        out["held"] = [g for _, g in held]
        lingering = []
        for _ in range(6):
            # The ClientHello made in memory: whatever the server answers is never fed back, so
            # the handshake cannot complete on its own.
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = tls_context().wrap_bio(incoming, outgoing)
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                pass
            raw = socket.create_connection(("127.0.0.1", port), timeout=20)
            raw.sendall(outgoing.read())
            out.setdefault("server_answered", []).append(bool(select.select([raw], [], [], 20)[0]) and len(raw.recv(65536)) > 0)
            lingering.append((raw, tls))
        other, out["other_address"] = open_conn(port, "127.0.0.2", tls=True)
        other.sendall(b"QUIT\\r\\n")
        out["other_quit"] = line(other)
        print(json.dumps(out))
        """, ["\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var held: [String]; var server_answered: [Bool]; var other_address: String; var other_quit: String }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.held.allSatisfy { $0.hasPrefix("+OK") }, "\(outcome.held)")
        #expect(outcome.server_answered == Array(repeating: true, count: 6))
        // 2 counted connections of 4 allowed: the 6 refused ones from 127.0.0.1 take no place.
        #expect(outcome.other_address.hasPrefix("+OK"), "\(outcome.other_address)\n\(Self.refusalLogLines(server))")
        #expect(outcome.other_quit.hasPrefix("+OK"))
    }

    @Test("login_timeout closes a connection even when its last line cannot go out: implicit-TLS clients (POP3, submission) that never handshake, a client that never reads")
    func loginTimeoutWhenTheLineCannotBeDelivered() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "implicit"), ("pop3", "starttls"), ("submission", "implicit")],
            extraConfig: Self.limits("login_timeout = \"1s\""))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        // The server's line waits on a handshake that never comes, or on a client that never
        // reads: it is closed LineConnection.closeDeadline (10 s) after its login timeout.
        // The script watches the server's log for each connection's "disconnected" line (the
        // log names the client's port), so it never reads what the server sends on them.
        let result = try await Self.python("""
        import select, errno
        implicit_port, plain_port, log_path, smtp_port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        silent = socket.create_connection(("127.0.0.1", implicit_port), timeout=20)
        silent_smtp = socket.create_connection(("127.0.0.1", smtp_port), timeout=20)
        deaf = socket.create_connection(("127.0.0.1", plain_port), timeout=20)
        deaf.setblocking(False)
        # Pipelines CAPA without ever reading the answers, until the server stops reading.
        sent = 0
        while sent < 64 * 1024 * 1024 and select.select([], [deaf], [], 0.5)[1]:
            try:
                sent += deaf.send(b"CAPA\\r\\n" * 1000)
            except BlockingIOError:
                pass
        def disconnected(sock):
            marker = "peer=127.0.0.1:%d " % sock.getsockname()[1]
            with open(log_path, encoding="utf-8", errors="replace") as f:
                return any(marker in l and l.rstrip().endswith(" disconnected") for l in f)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(disconnected(s) for s in [silent, silent_smtp, deaf]):
            time.sleep(0.1)
        print(json.dumps({"sent": sent, "silent": disconnected(silent), "silent_smtp": disconnected(silent_smtp), "deaf": disconnected(deaf)}))
        """, ["\(server.port("implicit"))", "\(server.port("starttls"))", server.logPath, "\(server.port("implicit", protocol: "submission"))"],
            timeout: .seconds(60))
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var sent: Int; var silent: Bool; var silent_smtp: Bool; var deaf: Bool }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.sent > 0)
        #expect(server.log.split(separator: "\n").filter { $0.hasSuffix(" login timeout") }.count == 3, "\(server.log)")
        #expect(outcome.silent, "the implicit-TLS POP3 connection that never started its handshake was closed")
        #expect(outcome.silent_smtp, "the implicit-TLS submission connection that never started its handshake was closed")
        #expect(outcome.deaf, "the connection that never read was closed")
    }

    @Test("20 refused connections leave one refusal line in the log, not 20")
    func refusalLogIsRateLimited() async throws {
        let server = try LoftProcess(listeners: [("pop3", "starttls")], extraConfig: Self.limits("max_connections_per_ip = 1"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let result = try await Self.python("""
        port = int(sys.argv[1])
        held, greeting = open_conn(port)
        refused = []
        for _ in range(20):
            s, g = open_conn(port)
            refused.append([g, closed(s)])
        held.sendall(b"NOOP\\r\\n")
        print(json.dumps({"held": greeting, "refused": refused, "noop": line(held)}))
        """, ["\(server.port("starttls"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var held: String; var refused: [[String]]; var noop: String }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.held.hasPrefix("+OK"))
        #expect(outcome.refused.count == 20)
        #expect(outcome.refused.allSatisfy { $0 == [Self.pop3Refusal, "eof"] }, "\(outcome.refused)")
        // NOOP before login: the held session is alive and answers.
        #expect(outcome.noop.hasPrefix("-ERR") || outcome.noop.hasPrefix("+OK"), "\(outcome.noop)")
        // The server logs before it sends the refusal, so all 20 are accounted for by now.
        let refusals = Self.refusalLogLines(server)
        #expect(refusals.count == 1, "\(refusals)")
        #expect(refusals.first?.contains("limits.max_connections_per_ip reached") == true)
        #expect(refusals.first?.contains("not-logged-since-last") == false, "nothing was suppressed before the first line")
    }

    @Test("max_sessions_per_user_ip = 2 over submission: the 3rd AUTH from one address gets 421 4.7.0 and is closed; another address logs in; a QUIT frees a session")
    func sessionsPerUserAndAddress() async throws {
        let server = try LoftProcess(
            listeners: [("submission", "implicit")],
            extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n" + Self.limits("max_sessions_per_user_ip = 2"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let result = try await Self.python("""
        port = int(sys.argv[1])
        plain = base64.b64encode(b"\\0alice\\0" + \(LoftProcess.password.debugDescription).encode()).decode()
        def session(src="127.0.0.1"):
            s, greeting = open_conn(port, src, tls=True)
            s.sendall(b"EHLO client.example\\r\\n")
            while True:
                l = line(s)
                if not l.startswith("250-"):
                    break
            return s
        def auth(s):
            s.sendall(("AUTH PLAIN " + plain + "\\r\\n").encode())
            return line(s)
        out = {}
        first, second = session(), session()
        out["first"], out["second"] = auth(first), auth(second)
        third = session()
        out["third"] = auth(third)
        out["third_end"] = closed(third)
        # The refusal took nothing from the two sessions that were in.
        second.sendall(b"NOOP\\r\\n")
        out["second_noop"] = line(second)
        other = session("127.0.0.2")
        out["other_address"] = auth(other)
        first.sendall(b"QUIT\\r\\n")
        out["first_quit"] = line(first)
        out["first_end"] = closed(first)
        # The session is released once the server has closed it: retry until admitted.
        out["again"] = None
        for attempt in range(200):
            s = session()
            reply = auth(s)
            if reply.startswith("235"):
                out["again"] = reply
                s.sendall(b"QUIT\\r\\n")
                line(s)
                break
            closed(s)
            time.sleep(0.02)
        print(json.dumps(out))
        """, ["\(server.port("implicit", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let outcome = try JSONDecoder().decode([String: String?].self, from: result.stdout)
        #expect(outcome["first"]??.hasPrefix("235") == true, "\(outcome)")
        #expect(outcome["second"]??.hasPrefix("235") == true, "\(outcome)")
        #expect(outcome["third"] == "421 4.7.0 \(Self.hostname) Too many sessions for this user from your address, closing", "\(outcome)")
        #expect(outcome["third_end"] == "eof", "\(outcome)")
        #expect(outcome["second_noop"]??.hasPrefix("250") == true, "\(outcome)")
        #expect(outcome["other_address"]??.hasPrefix("235") == true, "\(outcome)")
        #expect(outcome["first_quit"]??.hasPrefix("221") == true, "\(outcome)")
        #expect(outcome["first_end"] == "eof", "\(outcome)")
        #expect(outcome["again"]??.hasPrefix("235") == true, "\(outcome)")
    }

    @Test("max_sessions_per_user_ip counts over all protocols: with 1, a submission session refuses alice's POP3 login from the same address, and the other way round")
    func sessionsPerUserAcrossProtocols() async throws {
        let server = try LoftProcess(
            listeners: [("submission", "implicit"), ("pop3", "implicit")],
            extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n" + Self.limits("max_sessions_per_user_ip = 1"))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let result = try await Self.python("""
        smtp_port, pop3_port = int(sys.argv[1]), int(sys.argv[2])
        password = \(LoftProcess.password.debugDescription)
        plain = base64.b64encode(b"\\0alice\\0" + password.encode()).decode()
        def smtp_session(src="127.0.0.1"):
            s, _ = open_conn(smtp_port, src, tls=True)
            s.sendall(b"EHLO client.example\\r\\n")
            while line(s).startswith("250-"):
                pass
            s.sendall(("AUTH PLAIN " + plain + "\\r\\n").encode())
            return s, line(s)
        def pop3_login(src="127.0.0.1"):
            s, _ = open_conn(pop3_port, src, tls=True)
            s.sendall(b"USER alice\\r\\n")
            line(s)
            s.sendall(("PASS " + password + "\\r\\n").encode())
            return s, line(s)
        def until(make, ok):
            for _ in range(200):
                s, reply = make()
                if ok(reply):
                    return s, reply
                closed(s)
                time.sleep(0.02)
            return None, reply
        out = {}
        smtp, out["smtp"] = smtp_session()
        p, out["pop3_refused"] = pop3_login()
        out["pop3_refused_end"] = closed(p)
        # Another address is not affected (retry: the refused POP3 session may still be letting go of the maildrop).
        q, out["pop3_other_address"] = until(lambda: pop3_login("127.0.0.2"), lambda r: r.startswith("+OK"))
        q.sendall(b"QUIT\\r\\n")
        line(q)
        closed(q)
        smtp.sendall(b"QUIT\\r\\n")
        line(smtp)
        closed(smtp)
        p, out["pop3_after_smtp_quit"] = until(pop3_login, lambda r: r.startswith("+OK"))
        s, out["smtp_refused"] = smtp_session()
        out["smtp_refused_end"] = closed(s)
        p.sendall(b"QUIT\\r\\n")
        out["pop3_quit"] = line(p)
        print(json.dumps(out))
        """, ["\(server.port("implicit", protocol: "submission"))", "\(server.port("implicit"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let outcome = try JSONDecoder().decode([String: String].self, from: result.stdout)
        #expect(outcome["smtp"]?.hasPrefix("235") == true, "\(outcome)")
        #expect(outcome["pop3_refused"] == "-ERR [SYS/TEMP] Too many sessions for this user from your address.", "\(outcome)")
        #expect(outcome["pop3_refused_end"] == "eof", "\(outcome)")
        #expect(outcome["pop3_other_address"]?.hasPrefix("+OK") == true, "\(outcome)")
        #expect(outcome["pop3_after_smtp_quit"]?.hasPrefix("+OK") == true, "\(outcome)")
        #expect(outcome["smtp_refused"] == "421 4.7.0 \(Self.hostname) Too many sessions for this user from your address, closing", "\(outcome)")
        #expect(outcome["smtp_refused_end"] == "eof", "\(outcome)")
        #expect(outcome["pop3_quit"]?.hasPrefix("+OK") == true, "\(outcome)")
    }

    @Test("login_timeout = 1s: a silent POP3 and a silent submission client get the timeout line, then EOF")
    func loginTimeoutSilent() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "starttls"), ("submission", "starttls")], extraConfig: Self.limits("login_timeout = \"1s\""))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let result = try await Self.python("""
        pop3, pop3_greeting = open_conn(int(sys.argv[1]))
        smtp, smtp_greeting = open_conn(int(sys.argv[2]))
        print(json.dumps({
            "pop3": [pop3_greeting, line(pop3), closed(pop3)],
            "smtp": [smtp_greeting, line(smtp), closed(smtp)],
        }))
        """, ["\(server.port("starttls"))", "\(server.port("starttls", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let outcome = try JSONDecoder().decode([String: [String]].self, from: result.stdout)
        let pop3 = try #require(outcome["pop3"]), smtp = try #require(outcome["smtp"])
        #expect(pop3[0].hasPrefix("+OK"))
        #expect(Array(pop3.dropFirst()) == ["-ERR Login timed out, closing.", "eof"])
        #expect(smtp[0].hasPrefix("220 "))
        #expect(Array(smtp.dropFirst()) == ["421 4.4.2 \(Self.hostname) Error: login timeout exceeded", "eof"])
    }

    @Test("login_timeout counts from connect, not from the last input: a client that keeps sending but never logs in is cut off")
    func loginTimeoutWithTrickle() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "starttls"), ("submission", "starttls")], extraConfig: Self.limits("login_timeout = \"1s\""))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        // One byte every 300 ms (POP3 spells "CAPA\\r\\n", SMTP "NOOP\\r\\n", over and over): a
        // timer restarted by input would never fire at 1 s; only a timer from connect does.
        // The script stops by itself after 20 s if the server never closes.
        let result = try await Self.python("""
        import select
        conns = {}
        for name, port, text in [("pop3", int(sys.argv[1]), b"CAPA\\r\\n"), ("smtp", int(sys.argv[2]), b"NOOP\\r\\n")]:
            s, greeting = open_conn(port)
            conns[name] = {"sock": s, "text": text, "sent": 0, "data": b"", "end": None, "greeting": greeting}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(c["end"] is None for c in conns.values()):
            for c in conns.values():
                if c["end"] is None:
                    try:
                        c["sock"].sendall(c["text"][c["sent"] % len(c["text"]):][:1])
                        c["sent"] += 1
                    except OSError:
                        pass
            until = time.monotonic() + 0.3
            while time.monotonic() < until:
                live = [c for c in conns.values() if c["end"] is None]
                if not live:
                    break
                ready, _, _ = select.select([c["sock"] for c in live], [], [], max(0, until - time.monotonic()))
                for c in live:
                    if c["sock"] in ready:
                        try:
                            chunk = c["sock"].recv(4096)
                        except OSError as e:
                            c["end"] = type(e).__name__
                            continue
                        if chunk:
                            c["data"] += chunk
                        else:
                            c["end"] = "eof"
        print(json.dumps({name: {
            "greeting": c["greeting"], "sent": c["sent"], "end": c["end"],
            "lines": c["data"].decode().split("\\r\\n")[:-1],
        } for name, c in conns.items()}))
        """, ["\(server.port("starttls"))", "\(server.port("starttls", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Connection: Decodable { var greeting: String; var sent: Int; var end: String?; var lines: [String] }
        let outcome = try JSONDecoder().decode([String: Connection].self, from: result.stdout)
        let pop3 = try #require(outcome["pop3"]), smtp = try #require(outcome["smtp"])
        #expect(pop3.greeting.hasPrefix("+OK"))
        // The client keeps sending: a byte that reaches the socket after the server closed it draws a
        // RST, so the end may read as a reset instead of EOF. Either way the server cut it off.
        let cutOff = ["eof", "ConnectionResetError"]
        #expect(cutOff.contains(pop3.end ?? ""), "\(pop3)")
        #expect(pop3.lines.last == "-ERR Login timed out, closing.", "\(pop3)")
        #expect(pop3.lines.dropLast().allSatisfy { $0 != "-ERR Login timed out, closing." })
        #expect(smtp.greeting.hasPrefix("220 "))
        #expect(cutOff.contains(smtp.end ?? ""), "\(smtp)")
        #expect(smtp.lines.last == "421 4.4.2 \(Self.hostname) Error: login timeout exceeded", "\(smtp)")
        // Input kept coming after connect (a byte went out at least 300 ms in), and still the cut came.
        #expect(pop3.sent >= 2 && smtp.sent >= 2, "\(pop3) \(smtp)")
    }

    @Test("a client that logged in in time is not cut off by the login timeout: NOOP works after it has passed")
    func loggedInClientOutlivesLoginTimeout() async throws {
        let server = try LoftProcess(
            listeners: [("pop3", "starttls"), ("submission", "starttls")],
            extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n" + Self.limits("login_timeout = \"1s\""))
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        // Ordering, not a clock: the control connection is opened after both logins and is
        // cut off by its login timeout; by then the logged-in sessions, which connected
        // earlier, have outlived theirs too. Then one more second, for good measure.
        let result = try await Self.python("""
        pop3_port, smtp_port = int(sys.argv[1]), int(sys.argv[2])
        out = {}
        p = connect("stls", pop3_port)
        out["pop3_login"] = login(p).decode()
        s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=20)
        s.starttls(context=tls_context())
        out["smtp_login"] = s.login("alice", \(LoftProcess.password.debugDescription))[0]
        control, _ = open_conn(pop3_port)
        out["control"] = [line(control), closed(control)]
        time.sleep(1)
        out["pop3_noop"] = p.noop().decode()
        out["smtp_noop"] = s.noop()[0]
        out["pop3_quit"] = p.quit().decode()
        out["smtp_quit"] = s.quit()[0]
        print(json.dumps(out))
        """, ["\(server.port("starttls"))", "\(server.port("starttls", protocol: "submission"))"])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable {
            var pop3_login: String; var smtp_login: Int; var control: [String]
            var pop3_noop: String; var smtp_noop: Int; var pop3_quit: String; var smtp_quit: Int
        }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.pop3_login.hasPrefix("+OK"))
        #expect(outcome.smtp_login == 235)
        #expect(outcome.control == ["-ERR Login timed out, closing.", "eof"])
        #expect(outcome.pop3_noop.hasPrefix("+OK"))
        #expect(outcome.smtp_noop == 250)
        #expect(outcome.pop3_quit.hasPrefix("+OK"))
        #expect(outcome.smtp_quit == 221)
    }
}
