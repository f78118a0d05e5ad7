import Foundation
import Testing

/// 2,000 slowloris connections (one byte every few seconds, never a login) spread over 40
/// source addresses and a POP3 and a submission port: normal clients are still served while
/// they are all open, and `login_timeout` closes every one of them with the protocol's line.
@Suite(.serialized) struct SlowlorisEndToEndTests {
    static let slowConnections = 2000
    static let sourceAddresses = 40

    static let message = "From: alice@example.org\r\nTo: alice@example.org\r\nSubject: before the flood\r\n\r\nfetched while 2000 connections crawl\r\n"

    /// `sys.argv`: mode ("serve" or "timeout"), POP3 port, submission port, number of slow
    /// connections, number of source addresses (from 127.0.0.2). Opens the slow connections
    /// (at most 100 waiting for their greeting at a time, so the listen backlog never
    /// overflows), then sends one byte on each every 3 s, staggered, never a full line.
    /// "serve": once all are greeted, a thread runs the normal clients from 127.0.0.1 and the
    /// script reports how many slow connections are still open when that thread is done.
    /// "timeout": keeps trickling until the server has closed every slow connection.
    /// Everything is bounded: at most `count` sockets, and the script stops after 50 s.
    static let script = PythonPOP3.prelude + """
    import selectors, resource, threading, errno, smtplib
    mode, pop3_port, smtp_port, count, addresses = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.monotonic()
    deadline = started + 50
    INTERVAL = 3.0
    sel = selectors.DefaultSelector()
    conns = []
    class Conn:
        pass
    def open_one(i):
        c = Conn()
        c.port = pop3_port if i % 2 == 0 else smtp_port
        c.proto = "pop3" if i % 2 == 0 else "smtp"
        c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.sock.setblocking(False)
        c.sock.bind(("127.0.0.%d" % (2 + i % addresses), 0))
        err = c.sock.connect_ex(("127.0.0.1", c.port))
        c.data, c.end, c.greeted = b"", None, False
        c.next_send = time.monotonic() + INTERVAL * ((i * 7919) % 1000) / 1000.0
        if err not in (0, errno.EINPROGRESS):
            c.end = "connect:" + errno.errorcode.get(err, str(err))
        else:
            sel.register(c.sock, selectors.EVENT_READ, c)
        conns.append(c)
    def close_conn(c, why):
        c.end = why
        sel.unregister(c.sock)
        c.sock.close()
    def pump(timeout):
        for key, _ in sel.select(timeout):
            c = key.data
            try:
                chunk = c.sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError as e:
                close_conn(c, type(e).__name__)
                continue
            if not chunk:
                close_conn(c, "eof")
                continue
            c.data += chunk
            if b"\\r\\n" in c.data:
                c.greeted = True
    def trickle():
        now = time.monotonic()
        for c in conns:
            if c.end is None and c.greeted and now >= c.next_send:
                c.next_send = now + INTERVAL
                try:
                    c.sock.send(b"x")
                except BlockingIOError:
                    pass
                except OSError:
                    pass
    def still_open():
        pump(0)
        return sum(1 for c in conns if c.end is None)

    normal = {"pop3": [], "smtp": [], "errors": []}
    def normal_clients():
        try:
            for round in range(3):
                p = connect("stls", pop3_port)
                login(p)
                lines = p.retr(1)[1]
                normal["pop3"].append((b"\\r\\n".join(lines) + b"\\r\\n").decode())
                p.quit()
                s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=20)
                s.starttls(context=tls_context())
                s.login("alice", \(LoftProcess.password.debugDescription))
                refused = s.sendmail("alice@example.org", ["alice@example.org"],
                                     b"From: alice@example.org\\r\\nSubject: during the flood %d\\r\\n\\r\\nsubmitted\\r\\n" % round)
                normal["smtp"].append(len(refused))
                s.quit()
        except Exception as e:
            normal["errors"].append(repr(e))

    # Open every slow connection and wait for its greeting.
    opened = 0
    while time.monotonic() < deadline:
        waiting = sum(1 for c in conns if c.end is None and not c.greeted)
        while opened < count and waiting < 100:
            open_one(opened)
            opened += 1
            waiting += 1
        pump(0.05)
        trickle()
        if opened == count and all(c.greeted or c.end is not None for c in conns):
            break
    report = {
        "hard_nofile": hard,
        "opened": opened,
        "greeted": sum(1 for c in conns if c.greeted),
        "greeted_pop3": sum(1 for c in conns if c.greeted and c.data.startswith(b"+OK")),
        "greeted_smtp": sum(1 for c in conns if c.greeted and c.data.startswith(b"220 ")),
        "sources": len(set(c.sock.getsockname()[0] for c in conns if c.end is None)),
    }
    if mode == "serve":
        worker = threading.Thread(target=normal_clients)
        worker.start()
        while worker.is_alive() and time.monotonic() < deadline:
            pump(0.05)
            trickle()
        worker.join(max(0, deadline - time.monotonic()))
        report["normal_finished"] = not worker.is_alive()
        report["open_when_normal_done"] = still_open()
        report["normal"] = normal
    else:
        while time.monotonic() < deadline and any(c.end is None for c in conns):
            pump(0.05)
            trickle()
        pop3_line = b"\\r\\n-ERR Login timed out, closing.\\r\\n"
        smtp_line = b"\\r\\n421 4.4.2 mail.example.org Error: login timeout exceeded\\r\\n"
        report["still_open"] = still_open()
        report["ends"] = {}
        for c in conns:
            report["ends"][c.end] = report["ends"].get(c.end, 0) + 1
        report["timeout_line_pop3"] = sum(1 for c in conns if c.proto == "pop3" and c.data.endswith(pop3_line))
        report["timeout_line_smtp"] = sum(1 for c in conns if c.proto == "smtp" and c.data.endswith(smtp_line))
        report["other_endings"] = [c.data.decode("utf-8", "replace") for c in conns
            if not (c.data.endswith(pop3_line) or c.data.endswith(smtp_line))][:5]
    for c in conns:
        if c.end is None:
            c.sock.close()
    print(json.dumps(report))
    """

    static func server(loginTimeout: String?) throws -> LoftProcess {
        var extra = "\n[delivery]\nlocal_domains = [\"example.org\"]\n"
        if let loginTimeout { extra += "\n[limits]\nlogin_timeout = \"\(loginTimeout)\"\n" }
        return try LoftProcess(listeners: [("pop3", "starttls"), ("submission", "starttls")], extraConfig: extra)
    }

    static func run(_ mode: String, _ server: LoftProcess) async throws -> Subprocess.Result {
        try await Subprocess.python(script, [
            mode, "\(server.port("starttls"))", "\(server.port("starttls", protocol: "submission"))",
            "\(slowConnections)", "\(sourceAddresses)",
        ], timeout: .seconds(70))
    }

    @Test("while 2,000 slow connections are open, normal clients from 127.0.0.1 fetch with poplib and submit with smtplib (STARTTLS + AUTH)")
    func normalClientsServedDuringSlowloris() async throws {
        // Default limits: 5000 connections, 100 per address (50 slow ones per address here), login_timeout 2m.
        let server = try Self.server(loginTimeout: nil)
        defer { server.cleanUpNow() }
        try server.deliverToAlice(Array(Self.message.utf8))
        try await server.start(expectedListeners: 2)
        let result = try await Self.run("serve", server)
        #expect(result.status == 0, "\(result.errors)")
        struct Normal: Decodable { var pop3: [String]; var smtp: [Int]; var errors: [String] }
        struct Report: Decodable {
            var hard_nofile: Int; var opened: Int; var greeted: Int; var greeted_pop3: Int; var greeted_smtp: Int; var sources: Int
            var normal_finished: Bool; var open_when_normal_done: Int; var normal: Normal
        }
        let report = try JSONDecoder().decode(Report.self, from: result.stdout)
        try #require(report.hard_nofile >= 5000, "the test needs a hard RLIMIT_NOFILE of at least 5000 (ulimit -Hn)")
        #expect(report.opened == Self.slowConnections)
        #expect(report.greeted == Self.slowConnections, "every slow connection was accepted and greeted")
        #expect(report.greeted_pop3 == Self.slowConnections / 2 && report.greeted_smtp == Self.slowConnections / 2)
        #expect(report.sources == Self.sourceAddresses)
        #expect(report.normal_finished)
        #expect(report.normal.errors.isEmpty, "\(report.normal.errors)")
        #expect(report.normal.pop3 == Array(repeating: Self.message, count: 3), "\(report.normal.pop3)")
        #expect(report.normal.smtp == [0, 0, 0], "no recipient refused")
        #expect(report.open_when_normal_done == Self.slowConnections, "the slow connections were all still open when the normal clients finished")
        // The pre-delivered message and the three submitted ones.
        #expect(server.aliceMessageFiles().count == 4, "\(server.aliceMessageFiles())")
    }

    @Test("login_timeout = 5s closes all 2,000 slow connections with the protocol's login-timeout line")
    func loginTimeoutClosesSlowloris() async throws {
        let server = try Self.server(loginTimeout: "5s")
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        let result = try await Self.run("timeout", server)
        #expect(result.status == 0, "\(result.errors)")
        struct Report: Decodable {
            var hard_nofile: Int; var opened: Int; var greeted: Int
            var still_open: Int; var ends: [String: Int]; var timeout_line_pop3: Int; var timeout_line_smtp: Int
            var other_endings: [String]
        }
        let report = try JSONDecoder().decode(Report.self, from: result.stdout)
        try #require(report.hard_nofile >= 5000, "the test needs a hard RLIMIT_NOFILE of at least 5000 (ulimit -Hn)")
        #expect(report.opened == Self.slowConnections)
        #expect(report.greeted == Self.slowConnections)
        #expect(report.still_open == 0)
        // Each one ends closed by the server. A byte the client sent just as the server closed
        // turns the FIN into a reset (TCP's rule for unread data), but only after the timeout line.
        #expect(report.ends.keys.allSatisfy { ["eof", "ConnectionResetError"].contains($0) }, "\(report.ends)")
        #expect(report.ends.values.reduce(0, +) == Self.slowConnections, "\(report.ends)")
        #expect(report.timeout_line_pop3 == Self.slowConnections / 2, "\(report.other_endings)")
        #expect(report.timeout_line_smtp == Self.slowConnections / 2, "\(report.other_endings)")
    }
}
