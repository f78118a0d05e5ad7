import LineProtocol
import NIOCore
@testable import SMTP
import Testing

@Suite struct SMTPDataReceiverTests {
    /// Feeds `input` whole and one byte at a time; both must agree. Returns the content, whether
    /// the end was found, and what was left after it.
    private func receive(_ input: String) -> (content: String, ended: Bool, rest: String) {
        var whole = ByteBuffer(string: input)
        var receiver = SMTPDataReceiver()
        var content = ByteBuffer()
        let ended = receiver.consume(&whole, into: &content)

        var dripReceiver = SMTPDataReceiver()
        var dripContent = ByteBuffer()
        var dripEnded = false
        var rest = ByteBuffer()
        for byte in Array(input.utf8) {
            var one = ByteBuffer(bytes: [byte])
            if dripEnded { rest.writeBuffer(&one); continue }
            dripEnded = dripReceiver.consume(&one, into: &dripContent)
        }
        #expect(dripContent == content)
        #expect(dripEnded == ended)
        #expect(rest == whole)
        return (String(decoding: content.readableBytesView, as: UTF8.self), ended, String(decoding: whole.readableBytesView, as: UTF8.self))
    }

    static let cases: [(String, String, Bool, String)] = [
        ("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n", "Subject: x\r\n\r\nhello\r\n", true, "QUIT\r\n"),
        (".\r\n", "", true, ""),
        ("..leading dot\r\n.\r\n", ".leading dot\r\n", true, ""),
        ("a\r\n..\r\n.\r\n", "a\r\n.\r\n", true, ""),
        ("a\r\n.b\r\n.\r\n", "a\r\nb\r\n", true, ""),
        // Never an end of data: the smuggling probes.
        ("a\n.\nMAIL FROM:<x@y.z>\r\n", "a\n.\nMAIL FROM:<x@y.z>\r\n", false, ""),
        ("a\r.\rMAIL\r\n", "a\r.\rMAIL\r\n", false, ""),
        ("a\r\n.\nMAIL\r\n", "a\r\n\nMAIL\r\n", false, ""),
        ("a\n.\r\nMAIL\r\n", "a\n.\r\nMAIL\r\n", false, ""),
        ("a\r\n.\r.\r\n", "a\r\n\r.\r\n", false, ""),
        ("a\r\n . \r\n", "a\r\n . \r\n", false, ""),
        // The real end after a probe.
        ("a\n.\nb\r\n.\r\nNOOP\r\n", "a\n.\nb\r\n", true, "NOOP\r\n"),
    ]

    @Test("dot-unstuffing and end of data, whole and drip-fed", arguments: cases)
    func endOfData(input: String, content: String, ended: Bool, rest: String) {
        let result = receive(input)
        #expect(result.content == content)
        #expect(result.ended == ended)
        #expect(result.rest == rest)
    }

    private func check(_ content: String, maxSize: Int = 1000, maxLine: Int = 20, split: Bool = false) -> SMTPContentRejection? {
        var checker = SMTPContentChecker(maxMessageSize: maxSize, maxLineLength: maxLine)
        if split {
            for byte in Array(content.utf8) { checker.check(ByteBuffer(bytes: [byte])) }
        } else {
            checker.check(ByteBuffer(string: content))
        }
        checker.finish()
        return checker.rejection
    }

    @Test("content rules: bare CR/LF, line length (with CRLF), size", arguments: [false, true])
    func contentRules(split: Bool) {
        #expect(check("a\r\nb\r\n", split: split) == nil)
        #expect(check("a\nb\r\n", split: split) == .bareLineEnding)
        #expect(check("a\rb\r\n", split: split) == .bareLineEnding)
        #expect(check("a\r\n\nb", split: split) == .bareLineEnding)
        #expect(check("a\r", split: split) == .bareLineEnding)
        #expect(check("a\r\r\n", split: split) == .bareLineEnding)
        #expect(check(String(repeating: "x", count: 18) + "\r\n", split: split) == nil)
        #expect(check(String(repeating: "x", count: 19) + "\r\n", split: split) == .lineTooLong(limit: 20))
        #expect(check(String(repeating: "x\r\n", count: 10), maxSize: 30, split: split) == nil)
        #expect(check(String(repeating: "x\r\n", count: 11), maxSize: 30, split: split) == .tooLarge(limit: 30))
        #expect(check(String(repeating: "x\n", count: 20), maxSize: 30, split: split) == .tooLarge(limit: 30))
    }

    @Test("a BDAT chunk takes exactly its octets, however they arrive")
    func chunkAccounting() {
        var reader = FixedLengthReader(size: 5)
        var input = ByteBuffer(string: "ab")
        #expect(reader.take(from: &input) == ByteBuffer(string: "ab"))
        #expect(!reader.isComplete)
        #expect(reader.take(from: &input) == nil)
        input = ByteBuffer(string: "c\r\n.\r\nBDAT 1 LAST")
        #expect(reader.take(from: &input) == ByteBuffer(string: "c\r\n"))
        #expect(reader.isComplete)
        #expect(reader.remaining == 0)
        #expect(String(buffer: input) == ".\r\nBDAT 1 LAST")
        var empty = FixedLengthReader(size: 0)
        #expect(empty.isComplete)
        #expect(empty.take(from: &input) == nil)
    }

    private func fixup(_ chunks: [String], maxHeaderBytes: Int = 1024) -> String {
        let envelope = SMTPEnvelope(queueID: "Q1", sender: "a@b.c", recipients: [], authenticatedUser: "a@b.c",
                                    clientIP: "192.0.2.9", heloName: "client", receivedAt: .now)
        var fixup = SMTPHeaderFixup(envelope: envelope, hostname: "mx.example.org", maxHeaderBytes: maxHeaderBytes)
        var out = ByteBuffer()
        for chunk in chunks {
            if var bytes = fixup.process(ByteBuffer(string: chunk)) { out.writeBuffer(&bytes) }
        }
        if var bytes = fixup.finish() { out.writeBuffer(&bytes) }
        return String(buffer: out)
    }

    @Test("Message-ID and Date are added only when missing; Received always comes first")
    func headerFixups() throws {
        let missing = fixup(["Subject: hi\r", "\n\r\nbody\r\n"])
        #expect(missing.hasPrefix("Received: from client (192.0.2.9)\r\n\tby mx.example.org (Loft) with ESMTPA\r\n\tid Q1; "))
        let lines = missing.components(separatedBy: "\r\n")
        #expect(lines[3].hasPrefix("Message-ID: <Q1."))
        #expect(lines[3].hasSuffix("@mx.example.org>"))
        #expect(lines[4].hasPrefix("Date: "))
        #expect(missing.hasSuffix("\r\nSubject: hi\r\n\r\nbody\r\n"))

        let present = fixup(["message-id: <x@y>\r\nDATE: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nMessage-ID: in body\r\n"])
        #expect(!present.contains("Message-ID: <Q1"))
        #expect(present.components(separatedBy: "Date:").count == 1)
        #expect(present.hasSuffix("\r\nmessage-id: <x@y>\r\nDATE: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nMessage-ID: in body\r\n"))

        // A Message-ID only in the body does not count.
        let bodyOnly = fixup(["Subject: x\r\n\r\nMessage-ID: <fake@x>\r\n"])
        #expect(bodyOnly.contains("Message-ID: <Q1."))

        // A name with blanks before its colon counts; a continuation line that looks like a field does not.
        let folded = fixup(["Message-ID\t : <a@b>\r\nX-Note: one\r\n\tDate: not a field\r\n\r\nbody\r\n"])
        #expect(!folded.contains("Message-ID: <Q1"))
        #expect(folded.contains("\r\nDate: "), "Date only in a continuation line is still missing")
    }

    @Test("the date is RFC 5322 date-time")
    func dateFormat() throws {
        let text = SMTPTraceHeaders.date(.now)
        let pattern = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/
        #expect(try pattern.wholeMatch(in: text) != nil, "\(text)")
    }
}
