import Foundation

/// Python snippets that drive Loft's IMAP server with the standard library's `imaplib`, `ssl`
/// and `socket`, and read back what went over the wire.
enum PythonIMAP {
    /// Defines, for the scripts:
    /// - `connect(mode, port)`: "starttls" (IMAP4 + starttls()) or "ssl" (IMAP4_SSL), certificate
    ///   checks off (the test certificate is self-signed); every response line the client reads is
    ///   kept in `m.wire`. `login(m)` logs alice in.
    /// - `call(m, "select", "INBOX")`: runs one imaplib method and returns `{"typ", "lines", "data"}`:
    ///   imaplib's result type (or `EXC: message` when imaplib raised), the response lines read
    ///   during the call (CRLF cut), and imaplib's data with literals flattened; all bytes as
    ///   Latin-1 text so nothing is lost. `out[key] = ...` collects results, `done()` prints them.
    /// - `Raw(port, mode)`: a socket client ("ssl", "starttls" (STARTTLS done) or "plain"); `cmd(tag, text)` sends one line and returns the
    ///   response lines up to the tagged one (literals inlined after their `{n}` line); `wait_for(pattern)`
    ///   reads pushed lines until one matches.
    static let prelude = """
    import imaplib, ssl, socket, sys, json, time, base64, re, os, random
    def tls_context():
        c = ssl.create_default_context()
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        return c
    def capture(m):
        m.wire = []
        original = m._get_line
        def get_line():
            line = original()
            m.wire.append(line)
            return line
        m._get_line = get_line
        return m
    def connect(mode, port, tls=True):
        if mode == "ssl":
            return capture(imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls_context(), timeout=20))
        m = capture(imaplib.IMAP4("127.0.0.1", port, timeout=20))
        if tls:
            m.starttls(ssl_context=tls_context())
        return m
    def login(m, user="alice", password=\(LoftProcess.password.debugDescription)):
        return m.login(user, password)
    def text(b):
        return b.decode("latin-1") if isinstance(b, (bytes, bytearray)) else str(b)
    def flat(data):
        result = []
        for item in data or []:
            if item is None:
                continue
            if isinstance(item, tuple):
                result.extend(text(part) for part in item)
            else:
                result.append(text(item))
        return result
    def call(m, name, *args):
        m.wire = []
        try:
            typ, data = getattr(m, name)(*args)
        except imaplib.IMAP4.error as e:
            typ, data = "EXC: " + str(e), []
        return {"typ": typ, "lines": [text(l).rstrip("\\r\\n") for l in m.wire], "data": flat(data)}
    def value(v):
        return {"typ": str(v), "lines": [], "data": []}
    out = {}
    def done():
        print(json.dumps(out))
    class Raw:
        def __init__(self, port, mode="ssl"):
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
            if mode == "ssl":
                self.sock = tls_context().wrap_socket(self.sock)
            self.f = self.sock.makefile("rb")
            self.greeting = self.line()
            if mode == "starttls":
                self.cmd("S0", "STARTTLS")
                self.tls()
        def tls(self):
            self.sock = tls_context().wrap_socket(self.sock)
            self.f = self.sock.makefile("rb")
        def send(self, data):
            self.sock.sendall(data.encode("latin-1") if isinstance(data, str) else data)
        def line(self):
            data = b""
            while True:
                piece = self.f.readline()
                if not piece:
                    raise EOFError("connection closed after " + repr(data))
                data += piece
                literal = re.search(rb"\\{(\\d+)\\}\\r\\n$", piece)
                if not literal:
                    return text(data).rstrip("\\r\\n")
                data += self.f.read(int(literal.group(1)))
        def until(self, tag):
            lines = []
            while True:
                l = self.line()
                lines.append(l)
                if l.startswith(tag + " "):
                    return lines
        def cmd(self, tag, command):
            self.send(tag + " " + command + "\\r\\n")
            return self.until(tag)
        def wait_for(self, pattern, timeout=10):
            # Reads what the server pushes until a line matches `pattern` (a generous bound, not a speed
            # check); "found" or "missing" with the lines read, as `raw` records them.
            lines, deadline = [], time.time() + timeout
            try:
                while time.time() < deadline:
                    self.sock.settimeout(max(0.1, deadline - time.time()))
                    line = self.line()
                    lines.append(line)
                    if re.search(pattern, line):
                        return {"typ": "found", "lines": lines, "data": []}
            except (socket.timeout, ssl.SSLError, OSError) as e:
                lines.append("timeout: %r" % e)
            return {"typ": "missing", "lines": lines, "data": []}
        def login(self, tag="L"):
            return self.cmd(tag, "LOGIN alice " + json.dumps(\(LoftProcess.password.debugDescription)))
        def close(self):
            self.sock.close()
    def raw(lines):
        last = lines[-1].split(" ") if lines else ["", ""]
        return {"typ": last[1] if len(last) > 1 else "", "lines": lines, "data": []}

    """

    /// What one `call`/`raw`/`value` recorded.
    struct Reply: Decodable, CustomStringConvertible {
        var typ: String
        var lines: [String]
        var data: [String]

        var ok: Bool { typ == "OK" }
        /// The last line: the tagged response.
        var tagged: String { lines.last ?? "" }
        var untagged: [String] { lines.filter { $0.hasPrefix("* ") } }
        /// Whether some response line starts with `prefix`.
        func has(_ prefix: String) -> Bool { lines.contains { $0.hasPrefix(prefix) } }
        /// `* 3 EXISTS` → 3 for `untaggedNumber("EXISTS")`.
        func untaggedNumber(_ word: String) -> Int? {
            for line in untagged {
                let parts = line.split(separator: " ")
                if parts.count == 3, parts[2] == word { return Int(parts[1]) }
            }
            return nil
        }
        /// The argument of a response code such as `[UIDNEXT 4]` anywhere in the lines.
        func code(_ name: String) -> String? {
            for line in lines {
                guard let start = line.range(of: "[\(name)") else { continue }
                let rest = line[start.upperBound...]
                guard let end = rest.firstIndex(of: "]") else { continue }
                return rest[..<end].trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
        var description: String { "\(typ) \(lines)" }
    }

    /// Runs the script and returns its output and errors.
    static func run(_ body: String, _ arguments: [String] = [], input: Data = Data(), timeout: Duration = .seconds(60)) async throws -> Subprocess.Result {
        try await Subprocess.python(prelude + body, arguments, input: input, timeout: timeout)
    }

    /// Runs a script that ends with `done()` and decodes what it collected in `out`.
    static func replies(_ body: String, _ arguments: [String] = [], input: Data = Data(), timeout: Duration = .seconds(60)) async throws -> [String: Reply] {
        let result = try await run(body, arguments, input: input, timeout: timeout)
        guard result.status == 0, let replies = try? JSONDecoder().decode([String: Reply].self, from: result.stdout) else {
            throw Failure("python exited \(result.status): \(result.errors)\n\(result.output.prefix(4000))")
        }
        return replies
    }
}

extension String {
    /// The bytes of text that Python produced by decoding them as Latin-1.
    var latin1Bytes: [UInt8] { unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } }
}

extension LoftProcess {
    /// A server with IMAP on STARTTLS and implicit TLS (and `more` listeners), delivering to
    /// example.org locally (for submission listeners).
    static func imap(more: [(String, String)] = [], extraConfig: String = "") throws -> LoftProcess {
        try LoftProcess(listeners: [("imap", "starttls"), ("imap", "implicit")] + more,
                        extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n" + extraConfig)
    }

    /// `imap()` with alice's INBOX holding `messages` simple messages, started.
    static func runningIMAP(messages: Int = 0) async throws -> LoftProcess {
        let server = try imap()
        do {
            for n in 0..<messages { try server.deliverToAlice(IMAPEndToEndTests.simple(n + 1)) }
            try await server.startIMAP()
            return server
        } catch {
            server.cleanUpNow()
            throw error
        }
    }

    /// Starts a server made by `imap(more:)`.
    func startIMAP(more: Int = 0) async throws {
        try await start(expectedListeners: 2 + more)
    }

    var imapStartTLSPort: Int { port("starttls", protocol: "imap") }
    var imapImplicitPort: Int { port("implicit", protocol: "imap") }

    /// Files (below the Maildir root, all folders) and their contents: what a mail store holds.
    func aliceMailboxContents() -> [String: Data] {
        var contents: [String: Data] = [:]
        let root = URL(fileURLWithPath: aliceMaildir)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [:] }
        while let relative = walker.nextObject() as? String {
            let components = relative.split(separator: "/")
            guard components.count >= 2, ["cur", "new"].contains(components[components.count - 2]) else { continue }
            // The info part (flags) after ":2," is part of the state too: keep the full name.
            contents[relative] = try? Data(contentsOf: root.appendingPathComponent(relative))
        }
        return contents
    }
}
