import Foundation
import Testing

/// Loft behind Debian's HAProxy in TCP mode with `send-proxy` (v1) and `send-proxy-v2` (with a CRC32C
/// TLV): clients connect through HAProxy from 127.0.0.2 and 127.0.0.3, and Loft's logs, per-address
/// connection limit and Received header name them, not HAProxy's 127.0.0.1. POP3 over implicit TLS,
/// IMAP and submission over STARTTLS. Direct connections to a PROXY listener are refused; a listener
/// without `proxy_protocol` serves clients directly as before. Clients: Python's poplib, imaplib, smtplib, ssl.
@Suite(.serialized) struct ProxyProtocolEndToEndTests {
    /// A Loft with PROXY listeners (trusting 127.0.0.1) and one direct listener, and HAProxy in front.
    struct Stack {
        let loft: LoftProcess
        let haproxy: TestHAProxy

        static func start(limits: String = "") async throws -> Stack {
            var listeners = ""
            for (proto, tls, proxy) in [("pop3", "implicit", true), ("imap", "starttls", true), ("submission", "starttls", true),
                                        ("pop3", "starttls", false)] {
                listeners += "\n[[listener]]\nprotocol = \"\(proto)\"\naddress = \"127.0.0.1:0\"\ntls = \"\(tls)\"\n"
                if proxy { listeners += "proxy_protocol = true\nproxy_trusted = [\"127.0.0.1\"]\n" }
            }
            let loft = try LoftProcess(
                listeners: [], failureDelay: "100ms",
                extraConfig: listeners + "\n[limits]\nproxy_header_timeout = \"500ms\"\n" + limits)
            do {
                try await loft.start(expectedListeners: 4)
                let pop3 = loft.port("implicit"), imap = loft.port("starttls", protocol: "imap")
                let submission = loft.port("starttls", protocol: "submission")
                let haproxy = try TestHAProxy([
                    .init(name: "pop3_v1", loftPorts: [pop3], serverOptions: "send-proxy"),
                    .init(name: "pop3_v2", loftPorts: [pop3], serverOptions: "send-proxy-v2 proxy-v2-options crc32c"),
                    .init(name: "imap_v2", loftPorts: [imap], serverOptions: "send-proxy-v2 proxy-v2-options crc32c"),
                    .init(name: "smtp_v1", loftPorts: [submission], serverOptions: "send-proxy"),
                ])
                return Stack(loft: loft, haproxy: haproxy)
            } catch {
                loft.cleanUpNow()
                throw error
            }
        }

        func stop() {
            haproxy.stop()
            loft.cleanUpNow()
        }

        /// Log lines containing every one of `parts`.
        func logLines(_ parts: String...) -> [Substring] {
            loft.log.split(separator: "\n").filter { line in parts.allSatisfy { line.contains($0) } }
        }
    }

    /// Every client connection leaves from `SOURCE[0]` (a 127.0.0.0/8 address), whatever library makes it.
    static let prelude = """
    import socket, ssl, poplib, imaplib, smtplib, sys, json, time
    SOURCE = ["127.0.0.2"]
    _create_connection = socket.create_connection
    def sourced(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, *rest, **named):
        return _create_connection(address, timeout, source_address or (SOURCE[0], 0), *rest, **named)
    socket.create_connection = sourced
    def tls_context():
        c = ssl.create_default_context()
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        return c
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
    def greeting(port, src, tls=False):
        SOURCE[0] = src
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        if tls:
            try:
                s = tls_context().wrap_socket(s)
            except (ssl.SSLError, OSError) as e:
                return s, "<" + type(e).__name__ + ">"
        return s, line(s)

    """

    static func python(_ body: String, _ arguments: [Int]) async throws -> [String: String] {
        let result = try await Subprocess.python(prelude + body, arguments.map(String.init), timeout: .seconds(60))
        guard result.status == 0, let out = try? JSONDecoder().decode([String: String].self, from: result.stdout) else {
            throw Failure("python exited \(result.status): \(result.errors)\n\(result.output)")
        }
        return out
    }

    @Test("POP3 over implicit TLS through send-proxy and send-proxy-v2: failed and good logins are logged with the client's address")
    func pop3ImplicitTLS() async throws {
        let stack = try await Stack.start()
        defer { stack.stop() }
        let out = try await Self.python("""
        out = {}
        def attempt(port, src, password):
            SOURCE[0] = src
            p = poplib.POP3_SSL("127.0.0.1", port, context=tls_context(), timeout=20)
            try:
                p.user("alice")
                return p.pass_(password).decode()
            except poplib.error_proto as e:
                return str(e)
            finally:
                p.quit()
        out["v1_wrong"] = attempt(int(sys.argv[1]), "127.0.0.2", "wrong")
        out["v2_wrong"] = attempt(int(sys.argv[2]), "127.0.0.3", "wrong")
        out["v1_right"] = attempt(int(sys.argv[1]), "127.0.0.2", \(LoftProcess.password.debugDescription))
        print(json.dumps(out))
        """, [stack.haproxy.port("pop3_v1"), stack.haproxy.port("pop3_v2")])
        #expect(out["v1_wrong"]?.contains("-ERR") == true, "\(out)")
        #expect(out["v2_wrong"]?.contains("-ERR") == true, "\(out)")
        #expect(out["v1_right"]?.hasPrefix("+OK") == true, "\(out)")
        let log = stack.loft.log
        #expect(stack.logLines("outcome=failed", "peer=127.0.0.2:", "proxy=127.0.0.1:", "listener=pop3").count == 1, "\(log)")
        #expect(stack.logLines("outcome=failed", "peer=127.0.0.3:", "proxy=127.0.0.1:", "listener=pop3").count == 1, "\(log)")
        #expect(stack.logLines("outcome=ok", "peer=127.0.0.2:", "listener=pop3").count == 1, "\(log)")
        #expect(stack.logLines("outcome=", "peer=127.0.0.1:").isEmpty, "no login is HAProxy's: \(log)")
    }

    @Test("IMAP over STARTTLS through send-proxy-v2 (with a CRC32C TLV): logins are logged with the client's address")
    func imapStartTLS() async throws {
        let stack = try await Stack.start()
        defer { stack.stop() }
        let out = try await Self.python("""
        out = {}
        SOURCE[0] = "127.0.0.2"
        m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=20)
        out["starttls"] = m.starttls(ssl_context=tls_context())[0]
        try:
            m.login("alice", "wrong")
            out["wrong"] = "OK"
        except imaplib.IMAP4.error as e:
            out["wrong"] = "NO " + str(e)
        out["right"] = m.login("alice", \(LoftProcess.password.debugDescription))[0]
        out["select"] = m.select("INBOX")[0]
        m.logout()
        print(json.dumps(out))
        """, [stack.haproxy.port("imap_v2")])
        #expect(out["starttls"] == "OK", "\(out)")
        #expect(out["wrong"]?.hasPrefix("NO ") == true, "\(out)")
        #expect(out["right"] == "OK", "\(out)")
        #expect(out["select"] == "OK", "\(out)")
        let log = stack.loft.log
        #expect(stack.logLines("outcome=failed", "peer=127.0.0.2:", "proxy=127.0.0.1:", "listener=imap").count == 1, "\(log)")
        #expect(stack.logLines("outcome=ok", "peer=127.0.0.2:", "proxy=127.0.0.1:", "listener=imap").count == 1, "\(log)")
    }

    @Test("submission over STARTTLS through send-proxy: the login is logged and the Received header names the client")
    func submissionStartTLS() async throws {
        let stack = try await Stack.start()
        defer { stack.stop() }
        let out = try await Self.python("""
        out = {}
        SOURCE[0] = "127.0.0.2"
        s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example", timeout=20)
        s.starttls(context=tls_context())
        try:
            s.login("alice", "wrong")
            out["wrong"] = "235"
        except smtplib.SMTPAuthenticationError as e:
            out["wrong"] = str(e.smtp_code)
        out["right"] = str(s.login("alice", \(LoftProcess.password.debugDescription))[0])
        refused = s.sendmail("alice@example.org", ["alice@example.org"],
                             b"From: alice@example.org\\r\\nTo: alice@example.org\\r\\nSubject: via HAProxy\\r\\n"
                             b"Message-ID: <proxy@example.org>\\r\\nDate: Mon, 7 Dec 2026 10:00:00 +0000\\r\\n\\r\\nHello.\\r\\n")
        out["refused"] = json.dumps(refused)
        s.quit()
        print(json.dumps(out))
        """, [stack.haproxy.port("smtp_v1")])
        #expect(out["wrong"] == "535", "\(out)")
        #expect(out["right"] == "235", "\(out)")
        #expect(out["refused"] == "{}", "\(out)")
        let files = stack.loft.aliceMessageFiles()
        try #require(files.count == 1, "\(files)")
        let message = try String(contentsOfFile: stack.loft.aliceMaildir + "/" + files[0], encoding: .utf8)
        #expect(message.hasPrefix("Received: from client.example (127.0.0.2)"), "\(message)")
        // smtplib tries PLAIN, then LOGIN: two failures, both from the client's address.
        #expect(stack.logLines("outcome=failed", "peer=127.0.0.2:", "proxy=127.0.0.1:", "listener=submission").count == 2, "\(stack.loft.log)")
        #expect(stack.logLines("outcome=", "peer=127.0.0.1:").isEmpty, "no login is HAProxy's: \(stack.loft.log)")
    }

    @Test("max_connections_per_ip counts the client behind HAProxy: a second connection from 127.0.0.2 is refused, 127.0.0.3 is served")
    func perAddressLimit() async throws {
        let stack = try await Stack.start(limits: "max_connections_per_ip = 1\n")
        defer { stack.stop() }
        let out = try await Self.python("""
        out = {}
        port = int(sys.argv[1])
        held, out["held"] = greeting(port, "127.0.0.2", tls=True)
        over, out["over"] = greeting(port, "127.0.0.2", tls=True)
        other, out["other"] = greeting(port, "127.0.0.3", tls=True)
        print(json.dumps(out))
        """, [stack.haproxy.port("pop3_v1")])
        #expect(out["held"]?.hasPrefix("+OK") == true, "\(out)")
        #expect(out["over"] == "-ERR [SYS/TEMP] Too many connections, try again later.", "\(out)")
        #expect(out["other"]?.hasPrefix("+OK") == true, "every client address has its own count, though all come from HAProxy: \(out)")
        let refusals = stack.logLines("connection refused", "limits.max_connections_per_ip reached")
        #expect(refusals.count == 1 && refusals[0].contains("peer=127.0.0.2 "), "\(stack.loft.log)")
    }

    @Test("direct connections to a PROXY listener are closed with the reason logged; a listener without proxy_protocol serves them")
    func directConnections() async throws {
        let stack = try await Stack.start()
        defer { stack.stop() }
        let loft = stack.loft
        let out = try await Self.python("""
        out = {}
        pop3s, imap, submission, pop3 = (int(a) for a in sys.argv[1:5])
        # A trusted address that sends its protocol instead of a header: a TLS ClientHello.
        s, out["client_hello"] = greeting(pop3s, "127.0.0.1", tls=True)
        # A trusted address that sends nothing: closed after proxy_header_timeout, never greeted.
        s, out["silent"] = greeting(imap, "127.0.0.1")
        # An address that is not a trusted proxy: closed at once.
        s, out["untrusted"] = greeting(submission, "127.0.0.2")
        # A header from an untrusted address is not believed either.
        SOURCE[0] = "127.0.0.3"
        s = socket.create_connection(("127.0.0.1", imap), timeout=20)
        s.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 51000 143\\r\\n")
        out["untrusted_header"] = line(s)
        # The direct listener greets directly, and knows the client's own address.
        s, out["direct"] = greeting(pop3, "127.0.0.2")
        s.sendall(b"QUIT\\r\\n")
        out["direct_quit"] = line(s)
        print(json.dumps(out))
        """, [loft.port("implicit"), loft.port("starttls", protocol: "imap"), loft.port("starttls", protocol: "submission"),
              loft.port("starttls")])
        #expect(out["client_hello"]?.hasPrefix("<") == true, "no TLS session: \(out)")
        // Closed without a byte (an end of file, or a reset when the client had sent something).
        #expect(out["silent"] == "<eof>", "\(out)")
        #expect(out["untrusted"] == "<eof>", "\(out)")
        #expect(out["untrusted_header"] == "<eof>" || out["untrusted_header"] == "<ConnectionResetError>", "\(out)")
        #expect(out["direct"]?.hasPrefix("+OK") == true, "\(out)")
        #expect(out["direct_quit"]?.hasPrefix("+OK") == true, "\(out)")
        let log = loft.log
        #expect(stack.logLines("PROXY header refused", "reason=not a PROXY protocol header", "listener=pop3").count == 1, "\(log)")
        #expect(stack.logLines("PROXY header refused", "reason=no PROXY header within 500 ms", "listener=imap").count == 1, "\(log)")
        // Refusals are logged at most once a minute: the first names the untrusted address.
        let refused = stack.logLines("connection refused", "not a trusted proxy")
        #expect(refused.count == 1 && refused[0].contains("peer=127.0.0.2 "), "\(log)")
        #expect(stack.logLines("] connected", "peer=192.0.2.7").isEmpty, "\(log)")
        let direct = stack.logLines("] connected", "peer=127.0.0.2:", "listener=pop3")
        #expect(direct.count == 1 && !direct[0].contains("proxy="), "\(log)")
        #expect(stack.logLines("listening", "proxy_protocol=127.0.0.1").count == 3, "\(log)")
        #expect(stack.logLines("listening", "pop3", "tls=starttls", "proxy_protocol").isEmpty, "\(log)")
    }
}
