import Foundation
import Testing

/// COMPRESS=DEFLATE (RFC 4978) against a real `loft serve`, with Python's zlib (raw DEFLATE,
/// wbits -15) as the client's compressor: an independent implementation on both ports.
@Suite(.serialized) struct IMAPCompressEndToEndTests {
    /// `Deflated(raw)`: the `Raw` client after `COMPRESS DEFLATE` was answered OK. Every command is
    /// compressed and sync-flushed; replies are decompressed; `wire`/`plain` count received bytes.
    static let client = #"""
    import zlib
    class Deflated(Raw):
        def __init__(self, raw):
            self.sock, self.f = raw.sock, None
            self.compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            self.decompressor = zlib.decompressobj(-15)
            self.buffer, self.wire, self.plain = b"", 0, 0
        def send(self, data):
            data = data.encode("latin-1") if isinstance(data, str) else data
            self.sock.sendall(self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH))
        def more(self):
            piece = self.sock.recv(65536)
            if not piece:
                raise EOFError("connection closed")
            self.wire += len(piece)
            plain = self.decompressor.decompress(piece)
            self.plain += len(plain)
            self.buffer += plain
        def read_exactly(self, n):
            while len(self.buffer) < n:
                self.more()
            data, self.buffer = self.buffer[:n], self.buffer[n:]
            return data
        def line(self):
            data = b""
            while True:
                while b"\r\n" not in self.buffer:
                    self.more()
                piece, self.buffer = self.buffer.split(b"\r\n", 1)
                data += piece + b"\r\n"
                literal = re.search(rb"\{(\d+)\}\r\n$", data)
                if not literal:
                    return text(data).rstrip("\r\n")
                data += self.read_exactly(int(literal.group(1)))

    """#

    static let message = Array((
        "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: compressed\r\n\r\n"
            + (0..<300).map { "Line \($0) of a message that repeats itself, as mail does.\r\n" }.joined()
    ).utf8)

    @Test("COMPRESS DEFLATE on 143 and 993: commands and replies compressed both ways, the message byte-exact")
    func compress() async throws {
        let server = try LoftProcess(listeners: [("imap", "starttls"), ("imap", "implicit")])
        defer { server.cleanUpNow() }
        try server.deliverToAlice(Self.message)
        try await server.start(expectedListeners: 2)

        for (mode, port) in [("starttls", server.imapStartTLSPort), ("ssl", server.imapImplicitPort)] {
            let r = try await PythonIMAP.replies(Self.client + #"""
            r = Raw(int(sys.argv[1]), sys.argv[2])
            out["before_login"] = raw(r.cmd("a0", "COMPRESS DEFLATE"))
            out["login"] = raw(r.login())
            out["capability"] = raw(r.cmd("a1", "CAPABILITY"))
            out["unknown"] = raw(r.cmd("a2", "COMPRESS LZW"))
            out["compress"] = raw(r.cmd("a3", "COMPRESS DEFLATE"))
            z = Deflated(r)
            out["select"] = raw(z.cmd("a4", "SELECT INBOX"))
            out["fetch"] = raw(z.cmd("a5", "FETCH 1 BODY.PEEK[]"))
            out["again"] = raw(z.cmd("a6", "COMPRESS DEFLATE"))
            # Three commands in one compressed burst: pipelining goes on working.
            z.send("a7 NOOP\r\na8 UID FETCH 1:* (FLAGS)\r\na9 NOOP\r\n")
            out["pipelined"] = raw(z.until("a9"))
            out["ratio"] = value(z.plain / z.wire)
            # A 2 MB message up and back through the compressed stream, byte-exact.
            import hashlib
            big = b"".join(b"Subject: big\r\n\r\n" if i == 0 else (b"%07d " % i) + os.urandom(24).hex().encode() + b"\r\n" for i in range(36000))
            z.send("b1 APPEND INBOX {%d}\r\n" % len(big))
            out["append_go"] = value(z.line())
            z.send(big + b"\r\n")
            out["append"] = raw(z.until("b1"))
            uid = re.search(r"APPENDUID \d+ (\d+)", out["append"]["lines"][-1]).group(1)
            fetched = z.cmd("b2", "UID FETCH %s BODY.PEEK[]" % uid)
            body = fetched[0].encode("latin-1").split(b"}\r\n", 1)[1][:len(big)]
            out["big_same"] = value(hashlib.sha256(body).hexdigest() == hashlib.sha256(big).hexdigest())
            z.cmd("b3", "UID STORE %s +FLAGS.SILENT (\\Deleted)" % uid)
            z.cmd("b4", "UID EXPUNGE %s" % uid)  # the next port's run starts from one message again
            out["logout"] = raw(z.cmd("a10", "LOGOUT"))
            done()
            """#, ["\(port)", mode])

            #expect(r["before_login"]?.tagged.hasPrefix("a0 BAD") == true, "\(mode): \(String(describing: r["before_login"]))")
            #expect(r["capability"]?.lines.first?.contains(" COMPRESS=DEFLATE") == true, "\(mode)")
            #expect(r["unknown"]?.tagged.hasPrefix("a2 BAD") == true, "\(mode): \(String(describing: r["unknown"]))")
            #expect(r["compress"]?.tagged.hasPrefix("a3 OK") == true, "\(mode): \(String(describing: r["compress"]))")
            #expect(r["select"]?.untaggedNumber("EXISTS") == 1, "\(mode): \(String(describing: r["select"]))")
            let fetched = r["fetch"]?.lines.first ?? ""
            let literal = fetched.range(of: "}\r\n").map { String(fetched[$0.upperBound...]) } ?? ""
            #expect(Array(literal.latin1Bytes.prefix(Self.message.count)) == Self.message, "\(mode): the message comes back byte-exact")
            #expect(r["fetch"]?.tagged.hasPrefix("a5 OK") == true)
            #expect(r["again"]?.tagged.hasPrefix("a6 NO [COMPRESSIONACTIVE]") == true, "\(mode): \(String(describing: r["again"]))")
            #expect(r["append_go"]?.typ.hasPrefix("+") == true, "\(mode): \(String(describing: r["append_go"]))")
            #expect(r["append"]?.tagged.hasPrefix("b1 OK [APPENDUID") == true, "\(mode): \(String(describing: r["append"]))")
            #expect(r["big_same"]?.typ == "True", "\(mode): a 2 MB message compressed up and back is byte-exact")
            #expect(r["pipelined"]?.lines.filter { $0.hasPrefix("a") }.map { String($0.prefix(5)) } == ["a7 OK", "a8 OK", "a9 OK"],
                    "\(mode): \(String(describing: r["pipelined"]))")
            let ratio = Double(r["ratio"]?.typ ?? "") ?? 0
            #expect(ratio > 5, "\(mode): the replies came compressed (\(ratio):1)")
            #expect(r["logout"]?.has("* BYE") == true && r["logout"]?.tagged.hasPrefix("a10 OK") == true)
        }
    }

    @Test("max_compressed_sessions = 1: a second session gets NO [LIMIT] and goes on uncompressed; a freed slot serves the next")
    func cap() async throws {
        let server = try LoftProcess(listeners: [("imap", "implicit")], extraConfig: "\n[imap]\nmax_compressed_sessions = 1\n")
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let r = try await PythonIMAP.replies(Self.client + #"""
        port = int(sys.argv[1])
        a = Raw(port); a.login()
        out["first"] = raw(a.cmd("a1", "COMPRESS DEFLATE"))
        za = Deflated(a)
        b = Raw(port); b.login()
        out["second"] = raw(b.cmd("b1", "COMPRESS DEFLATE"))
        out["second_goes_on"] = raw(b.cmd("b2", "SELECT INBOX"))
        out["first_logout"] = raw(za.cmd("a2", "LOGOUT"))
        try:
            za.line()
        except EOFError:
            pass
        c = Raw(port); c.login()
        out["third"] = raw(c.cmd("c1", "COMPRESS DEFLATE"))
        zc = Deflated(c)
        out["third_works"] = raw(zc.cmd("c2", "NOOP"))
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(r["first"]?.tagged.hasPrefix("a1 OK") == true)
        #expect(r["second"]?.tagged.hasPrefix("b1 NO [LIMIT]") == true, "\(String(describing: r["second"]))")
        #expect(r["second_goes_on"]?.tagged.hasPrefix("b2 OK") == true)
        #expect(r["first_logout"]?.tagged.hasPrefix("a2 OK") == true)
        #expect(r["third"]?.tagged.hasPrefix("c1 OK") == true, "\(String(describing: r["third"]))")
        #expect(r["third_works"]?.tagged.hasPrefix("c2 OK") == true)
    }

    @Test("max_compressed_sessions = 0: COMPRESS is neither advertised nor accepted")
    func off() async throws {
        let server = try LoftProcess(listeners: [("imap", "implicit")], extraConfig: "\n[imap]\nmax_compressed_sessions = 0\n")
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1)
        let r = try await PythonIMAP.replies(#"""
        r = Raw(int(sys.argv[1])); r.login()
        out["capability"] = raw(r.cmd("a1", "CAPABILITY"))
        out["compress"] = raw(r.cmd("a2", "COMPRESS DEFLATE"))
        out["noop"] = raw(r.cmd("a3", "NOOP"))
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(r["capability"]?.lines.first?.contains("COMPRESS") == false)
        #expect(r["compress"]?.tagged.hasPrefix("a2 BAD") == true)
        #expect(r["noop"]?.tagged.hasPrefix("a3 OK") == true)
    }
}
