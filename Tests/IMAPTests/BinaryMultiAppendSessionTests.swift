import Foundation
import IMAP
import NIOCore
import Testing

extension IMAPHarness {
    /// Sends raw bytes and returns the server's answer as bytes (BINARY data is not text).
    func sendBytes(_ bytes: [UInt8]) throws -> [UInt8] {
        channel.embeddedEventLoop.run()
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.embeddedEventLoop.run()
        var out: [UInt8] = []
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { out += buffer.readableBytesView }
        return out
    }
}

/// BINARY (RFC 3516) and MULTIAPPEND (RFC 3502) sessions over a real Maildir.
@Suite(.serialized) struct BinaryMultiAppendSessionTests {
    /// A message whose part 2 is a base64 attachment of `attachment`, part 3 quoted-printable, part 4 an
    /// unknown transfer encoding.
    static let attachment: [UInt8] = [0x00, 0x01, 0xFF, 0x0D, 0x0A, 0x7F, 0x00, 0x80] + Array("tail".utf8)
    static var mixedMessage: String {
        let encoded = Data(attachment).base64EncodedString()
        return """
            From: a@example.org\r
            Subject: parts\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain\r
            \r
            hello\r
            --b\r
            Content-Type: application/octet-stream\r
            Content-Transfer-Encoding: BASE64\r
            \r
            \(encoded.prefix(8))\r
            \(encoded.dropFirst(8))\r
            --b\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            caf=C3=A9 =\r
            ok\r
            --b\r
            Content-Type: application/octet-stream\r
            Content-Transfer-Encoding: x-uuencode\r
            \r
            begin 644 x\r
            --b--\r

            """
    }

    static func tmpFiles(_ backend: TemporaryMailBackend) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: backend.root + "/tmp")) ?? []
    }

    @Test("CAPABILITY offers BINARY and MULTIAPPEND")
    func capability() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { backend.remove(); session.close() }
        let reply = try session.send("c CAPABILITY\r\n")
        #expect(reply.contains(" BINARY "), "\(reply)")
        #expect(reply.contains(" MULTIAPPEND"), "\(reply)")
    }

    @Test("a 3-message MULTIAPPEND stores all three with UIDs in order and APPENDUID with the range")
    func multiAppendStoresAll() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { backend.remove(); session.close() }
        let first = "Subject: one\r\n\r\n1\r\n", second = "Subject: two\r\n\r\n2\r\n", third = "Subject: three\r\n\r\n3\r\n"
        #expect(try session.send("a APPEND INBOX (\\Seen) {\(first.utf8.count)}\r\n") == "+ Ready for literal data\r\n")
        #expect(try session.send(first + " (\\Flagged) {\(second.utf8.count)}\r\n") == "+ Ready for literal data\r\n")
        #expect(try session.send(second + " \"01-Feb-2024 12:00:00 +0100\" {\(third.utf8.count)+}\r\n") == "")
        #expect(backend.messageFiles().isEmpty, "nothing is visible before the command ends")
        let done = try session.send(third + "\r\n")
        #expect(done.hasPrefix("a OK [APPENDUID "), "\(done)")
        #expect(done.contains(" 1:3] APPEND completed."), "\(done)")
        _ = try session.send("s SELECT INBOX\r\n")
        let fetch = try session.send("f FETCH 1:3 (FLAGS INTERNALDATE BODY.PEEK[])\r\n")
        #expect(fetch.contains("* 1 FETCH (FLAGS (\\Seen) "), "\(fetch)")
        #expect(fetch.contains("BODY[] {\(first.utf8.count)}\r\n\(first))"), "\(fetch)")
        #expect(fetch.contains("* 2 FETCH (FLAGS (\\Flagged) "), "\(fetch)")
        #expect(fetch.contains("BODY[] {\(second.utf8.count)}\r\n\(second))"), "\(fetch)")
        #expect(fetch.contains("* 3 FETCH (FLAGS () INTERNALDATE \"01-Feb-2024 11:00:00 +0000\" "), "\(fetch)")
        #expect(fetch.contains("BODY[] {\(third.utf8.count)}\r\n\(third))"), "\(fetch)")
        #expect(Self.tmpFiles(backend).isEmpty)
    }

    @Test("bad syntax in the 3rd message, a 2nd message over APPENDLIMIT, or a disconnect store nothing")
    func multiAppendFailuresStoreNothing() throws {
        var limits = IMAPLimits()
        limits.parser.maxAppendSize = 100
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend, limits: limits)
        defer { session.close() }
        try session.login()
        let syntax = try session.send("a APPEND INBOX {3+}\r\nm1\n {3+}\r\nm2\n (\\Seen {3+}\r\nm3\n\r\nb NOOP\r\n")
        #expect(syntax.hasPrefix("a BAD "), "\(syntax)")
        #expect(syntax.hasSuffix("b OK NOOP completed.\r\n"), "\(syntax)")
        let tooBig = try session.send("c APPEND INBOX {3+}\r\nm1\n {101}\r\n")
        #expect(tooBig == "c NO [TOOBIG] Message larger than 100 octets\r\n", "\(tooBig)")
        let unknownFlag = try session.send("d APPEND INBOX {3+}\r\nm1\n (\\Recent) {3+}\r\nm2\n\r\n")
        #expect(unknownFlag.hasPrefix("d BAD "), "\(unknownFlag)")
        #expect(backend.messageFiles().isEmpty)
        #expect(Self.tmpFiles(backend).isEmpty, "\(Self.tmpFiles(backend))")
        // The client goes away after two messages of a third: nothing is kept.
        _ = try session.send("e APPEND INBOX {3+}\r\nm1\n {3+}\r\nm2\n {30+}\r\npartial")
        #expect(Self.tmpFiles(backend).count == 3, "staged in tmp/ meanwhile: \(Self.tmpFiles(backend))")
        session.close()
        #expect(backend.messageFiles().isEmpty)
        #expect(Self.tmpFiles(backend).isEmpty, "\(Self.tmpFiles(backend))")
    }

    @Test("MULTIAPPEND withheld: a second message is refused with BAD and nothing is stored")
    func multiAppendWithheld() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend, withheld: ["MULTIAPPEND"])
        defer { session.close() }
        try session.login()
        let reply = try session.send("a APPEND INBOX {3+}\r\nm1\n {3}\r\n")
        #expect(reply == "a BAD MULTIAPPEND is not offered on this connection.\r\n", "\(reply)")
        #expect(try session.send("b APPEND INBOX {3+}\r\nm1\n\r\n").hasPrefix("b OK [APPENDUID "))
        #expect(backend.messageFiles().count == 1)
    }

    @Test("APPEND with a literal8 keeps NUL octets; NUL in a plain literal is refused")
    func literal8Append() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { backend.remove(); session.close() }
        let message: [UInt8] = Array("Subject: bin\r\n\r\n".utf8) + [0x00, 0xFF, 0x00, 0x0D, 0x0A]
        let plain = try session.sendBytes(Array("p APPEND INBOX {\(message.count)+}\r\n".utf8) + message + Array("\r\n".utf8))
        #expect(String(decoding: plain, as: UTF8.self).hasPrefix("p BAD NUL octet"), "\(String(decoding: plain, as: UTF8.self))")
        #expect(backend.messageFiles().isEmpty)
        #expect(try session.send("a APPEND INBOX ~{\(message.count)}\r\n") == "+ Ready for literal data\r\n")
        let done = try session.sendBytes(message + Array("\r\n".utf8))
        #expect(String(decoding: done, as: UTF8.self).hasPrefix("a OK [APPENDUID "))
        _ = try session.send("s SELECT INBOX\r\n")
        let fetched = try session.sendBytes(Array("f FETCH 1 BODY.PEEK[]\r\n".utf8))
        #expect(fetched == Array("* 1 FETCH (BODY[] {\(message.count)}\r\n".utf8) + message + Array(")\r\nf OK FETCH completed.\r\n".utf8))
    }

    @Test("FETCH BINARY decodes base64 and quoted-printable parts, as literal8 when NUL is inside")
    func binaryFetch() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { backend.remove(); session.close() }
        try backend.deliver(Self.mixedMessage)
        _ = try session.send("s SELECT INBOX\r\n")
        let attachment = try session.sendBytes(Array("a FETCH 1 BINARY.PEEK[2]\r\n".utf8))
        #expect(attachment == Array("* 1 FETCH (BINARY[2] ~{\(Self.attachment.count)}\r\n".utf8) + Self.attachment
            + Array(")\r\na OK FETCH completed.\r\n".utf8))
        #expect(try session.send("b FETCH 1 (BINARY.SIZE[2] BINARY.SIZE[3] BINARY.SIZE[1])\r\n")
            == "* 1 FETCH (BINARY.SIZE[2] \(Self.attachment.count) BINARY.SIZE[3] 8 BINARY.SIZE[1] 5)\r\nb OK FETCH completed.\r\n")
        #expect(try session.send("c FETCH 1 BINARY.PEEK[3]\r\n") == "* 1 FETCH (BINARY[3] {8}\r\ncafé ok)\r\nc OK FETCH completed.\r\n")
        let partial = try session.sendBytes(Array("d FETCH 1 BINARY.PEEK[2]<8.100>\r\n".utf8))
        #expect(partial == Array("* 1 FETCH (BINARY[2]<8> {4}\r\ntail)\r\nd OK FETCH completed.\r\n".utf8))
        #expect(try session.send("e FETCH 1 BINARY.PEEK[9]\r\n") == "* 1 FETCH (BINARY[9] NIL)\r\ne OK FETCH completed.\r\n")
        #expect(try session.send("f FETCH 1 FLAGS\r\n").contains("FLAGS (\\Recent)"), "PEEK leaves \\Seen alone")
        #expect(try session.send("g FETCH 1 BINARY[1]\r\n")
            == "* 1 FETCH (BINARY[1] {5}\r\nhello FLAGS (\\Seen \\Recent))\r\ng OK FETCH completed.\r\n")
    }

    @Test("FETCH BINARY of an unknown transfer encoding is NO [UNKNOWN-CTE]; of a multipart, NO [CANNOT]")
    func binaryRefusals() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { backend.remove(); session.close() }
        try backend.deliver(Self.mixedMessage)
        try backend.deliver("Subject: plain\r\n\r\nbody\r\n")
        _ = try session.send("s SELECT INBOX\r\n")
        let unknown = try session.send("a FETCH 1:2 BINARY.PEEK[4]\r\n")
        #expect(unknown.hasPrefix("* 2 FETCH (BINARY[4] NIL)\r\n") && unknown.contains("a NO [UNKNOWN-CTE] "), "\(unknown)")
        #expect(!unknown.contains("* 1 FETCH"), "\(unknown)")
        let seen = try session.send("s2 FETCH 1:2 BINARY[4]\r\n")
        #expect(seen.contains("a NO [UNKNOWN-CTE] ") == false && seen.contains("s2 NO [UNKNOWN-CTE] "), "\(seen)")
        let flags = try session.send("f FETCH 1:2 FLAGS\r\n")
        #expect(flags.contains("* 1 FETCH (FLAGS (\\Recent))"), "the refused message was not read: \(flags)")
        #expect(flags.contains("* 2 FETCH (FLAGS (\\Seen \\Recent))"), "\(flags)")
        let multipart = try session.send("b FETCH 1 BINARY.SIZE[]\r\n")
        #expect(multipart.hasPrefix("* 1 FETCH (BINARY.SIZE[] "), "BINARY[] is the whole message: \(multipart)")
        #expect(try session.send("c FETCH 2 BINARY.PEEK[1]\r\n") == "* 2 FETCH (BINARY[1] {6}\r\nbody\r\n)\r\nc OK FETCH completed.\r\n")
        let nested = "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=\"i\"\r\n\r\n--i\r\n\r\nx\r\n--i--\r\n--o--\r\n"
        try backend.deliver(nested)
        _ = try session.send("n NOOP\r\n")
        let refused = try session.send("d FETCH 3 BINARY.PEEK[1]\r\n")
        #expect(refused.hasPrefix("d NO [CANNOT] "), "\(refused)")
    }

    @Test("BINARY withheld: FETCH BINARY and a literal8 APPEND are refused with BAD")
    func binaryWithheld() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        try backend.deliver("Subject: x\r\n\r\nx\r\n")
        let session = try IMAPHarness(backend: backend, withheld: ["BINARY"])
        defer { session.close() }
        try session.login()
        _ = try session.send("s SELECT INBOX\r\n")
        #expect(try session.send("a FETCH 1 BINARY[1]\r\n") == "a BAD BINARY is not offered on this connection.\r\n")
        #expect(try session.send("b APPEND INBOX ~{3}\r\n") == "b BAD BINARY is not offered on this connection.\r\n")
        #expect(try session.send("c NOOP\r\n").hasSuffix("c OK NOOP completed.\r\n"))
        #expect(backend.messageFiles().count == 1)
    }
}
