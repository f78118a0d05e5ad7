@testable import Delivery
import Testing
import TestSupport

@Suite("Outbound SMTP: reply parser")
struct SMTPReplyParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var replies: [SMTPClientReply]
        /// What is left once the replies are read: nil = waits for more bytes, else the error thrown.
        var error: SMTPReplyError?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one line", input: "220 mx.example.net ESMTP ready\r\n",
             replies: [SMTPClientReply(220, "mx.example.net ESMTP ready")]),
        Case(name: "multi-line", input: "250-mx.example.net\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
             replies: [SMTPClientReply(code: 250, lines: ["mx.example.net", "PIPELINING", "SIZE 1000"])]),
        Case(name: "bare LF line ends", input: "250-a\n250 b\n354 go on\n",
             replies: [SMTPClientReply(code: 250, lines: ["a", "b"]), SMTPClientReply(354, "go on")]),
        Case(name: "code alone, and an empty continuation", input: "250\r\n250-\r\n250 \r\n",
             replies: [SMTPClientReply(250, ""), SMTPClientReply(code: 250, lines: ["", ""])]),
        Case(name: "pipelined replies in one read, the last incomplete",
             input: "250 2.1.0 ok\r\n550 5.1.1 no\r\n354 go\r\n25",
             replies: [SMTPClientReply(250, "2.1.0 ok"), SMTPClientReply(550, "5.1.1 no"), SMTPClientReply(354, "go")]),
        Case(name: "an unfinished multi-line reply waits", input: "250-a\r\n250-b\r\n", replies: []),
        Case(name: "invalid UTF-8 becomes replacement characters", input: "550 caf\u{FFFD}\r\n",
             replies: [SMTPClientReply(550, "caf\u{FFFD}")]),
        Case(name: "codes in the middle of a multi-line reply must match", input: "250-a\r\n251 b\r\n",
             replies: [], error: .codeMismatch(expected: 250, found: 251)),
        Case(name: "no code", input: "hello\r\n", replies: [], error: .malformedLine("hello")),
        Case(name: "first digit out of range", input: "199 x\r\n", replies: [], error: .malformedLine("199 x")),
        Case(name: "600 is no reply", input: "600 x\r\n", replies: [], error: .malformedLine("600 x")),
        Case(name: "two digits", input: "25 x\r\n", replies: [], error: .malformedLine("25 x")),
        Case(name: "a code glued to text", input: "250x\r\n", replies: [], error: .malformedLine("250x")),
        Case(name: "an empty line", input: "\r\n", replies: [], error: .malformedLine("")),
        Case(name: "an error after a good reply", input: "220 hi\r\nxyz\r\n",
             replies: [SMTPClientReply(220, "hi")], error: .malformedLine("xyz")),
    ]

    @Test("whole input", arguments: cases)
    func wholeInput(_ testCase: Case) {
        var parser = SMTPReplyParser()
        parser.append(Array(testCase.input.utf8))
        #expect(Self.drain(&parser) == Self.expectation(testCase))
    }

    @Test("one byte at a time gives the same replies", arguments: cases)
    func dripFed(_ testCase: Case) {
        var parser = SMTPReplyParser()
        var replies: [SMTPClientReply] = []
        var error: SMTPReplyError?
        for byte in Array(testCase.input.utf8) where error == nil {
            parser.append([byte])
            let (more, thrown) = Self.drain(&parser)
            replies += more
            error = thrown
        }
        #expect(replies == testCase.replies)
        #expect(error == testCase.error)
    }

    @Test("invalid UTF-8 bytes are kept as replacement characters")
    func invalidUTF8() throws {
        var parser = SMTPReplyParser()
        parser.append(Array("550 caf".utf8) + [0xE9, 0xFF] + Array(" x\r\n".utf8))
        #expect(try parser.nextReply() == SMTPClientReply(550, "caf\u{FFFD}\u{FFFD} x"))
    }

    @Test("a line over the limit throws, with or without its line end; one at the limit passes")
    func lineLimit() throws {
        var atLimit = SMTPReplyParser(maximumLineLength: 10)
        atLimit.append(Array("250 123456\r\n".utf8))  // 10 bytes without CRLF
        #expect(try atLimit.nextReply() == SMTPClientReply(250, "123456"))

        var over = SMTPReplyParser(maximumLineLength: 10)
        over.append(Array("250 1234567\r\n".utf8))
        #expect(throws: SMTPReplyError.lineTooLong(limit: 10)) { try over.nextReply() }

        // No line end yet: the parser must not wait forever for one while its buffer grows.
        var waiting = SMTPReplyParser(maximumLineLength: 10)
        waiting.append(Array("250 12345".utf8))
        #expect(try waiting.nextReply() == nil)
        waiting.append(Array("6\r".utf8))  // 10 bytes and a CR: may still end well
        #expect(try waiting.nextReply() == nil)
        waiting.append(Array("\n".utf8))
        #expect(try waiting.nextReply() == SMTPClientReply(250, "123456"))

        var endless = SMTPReplyParser(maximumLineLength: 10)
        endless.append(Array("250 1234567".utf8))  // 11 bytes, the last not a CR
        #expect(throws: SMTPReplyError.lineTooLong(limit: 10)) { try endless.nextReply() }
        var endlessAfterCR = SMTPReplyParser(maximumLineLength: 10)
        endlessAfterCR.append(Array("250 123456\rx".utf8))
        #expect(throws: SMTPReplyError.lineTooLong(limit: 10)) { try endlessAfterCR.nextReply() }
    }

    @Test("too many lines in one reply throws; errors are sticky")
    func lineCountLimit() throws {
        var parser = SMTPReplyParser(maximumLines: 3)
        parser.append(Array("250-a\r\n250-b\r\n250 c\r\n".utf8))
        #expect(try parser.nextReply()?.lines == ["a", "b", "c"])
        parser.append(Array("250-a\r\n250-b\r\n250-c\r\n250 d\r\n".utf8))
        #expect(throws: SMTPReplyError.tooManyLines(limit: 3)) { try parser.nextReply() }
        parser.append(Array("221 bye\r\n".utf8))
        #expect(throws: SMTPReplyError.tooManyLines(limit: 3)) { try parser.nextReply() }
    }

    @Test("random replies in random pieces and line ends come back whole and in order", arguments: 0..<30)
    func randomReplies(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        var replies: [SMTPClientReply] = []
        var wire: [UInt8] = []
        for _ in 0..<Int.random(in: 1...40, using: &random) {
            let code = [220, 221, 235, 250, 251, 334, 354, 421, 450, 451, 452, 500, 502, 530, 535, 550, 552, 554]
                .randomElement(using: &random)!
            let lines = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                String((0..<Int.random(in: 0...30, using: &random)).map { _ in
                    Character(UnicodeScalar(UInt8.random(in: 0x20...0x7E, using: &random)))
                })
            }
            replies.append(SMTPClientReply(code: code, lines: lines))
            for (index, line) in lines.enumerated() {
                let last = index == lines.count - 1
                // A last line with no text may be sent as the bare code.
                let text = last && line.isEmpty && Bool.random(using: &random) ? "\(code)" : "\(code)\(last ? " " : "-")\(line)"
                wire += Array(text.utf8) + (Bool.random(using: &random) ? [0x0D, 0x0A] : [0x0A])
            }
        }
        var parser = SMTPReplyParser()
        var parsed: [SMTPClientReply] = []
        var offset = 0
        while offset < wire.count {
            let end = min(wire.count, offset + Int.random(in: 1...50, using: &random))
            parser.append(wire[offset..<end])
            offset = end
            while let reply = try parser.nextReply() { parsed.append(reply) }
        }
        #expect(parsed == replies)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("random bytes never trap: every result is a reply, nil or an error", arguments: 0..<30)
    func randomBytes(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed) &+ 1000)
        var parser = SMTPReplyParser(maximumLineLength: 64, maximumLines: 5)
        let pieces = ["250", "-", " ", "\r\n", "\n", "\r", "354 ", "2", "5", "0", "x", "\u{00e9}"]
        for _ in 0..<400 {
            if Bool.random(using: &random) {
                parser.append(Array(pieces.randomElement(using: &random)!.utf8))
            } else {
                parser.append((0..<Int.random(in: 0...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
            do {
                while let reply = try parser.nextReply() {
                    #expect((200...599).contains(reply.code))
                    #expect(!reply.lines.isEmpty && reply.lines.count <= 5)
                }
            } catch {
                return  // the glue drops the connection here
            }
        }
    }

    static func drain(_ parser: inout SMTPReplyParser) -> ([SMTPClientReply], SMTPReplyError?) {
        var replies: [SMTPClientReply] = []
        do {
            while let reply = try parser.nextReply() { replies.append(reply) }
            return (replies, nil)
        } catch {
            return (replies, error)
        }
    }

    static func expectation(_ testCase: Case) -> ([SMTPClientReply], SMTPReplyError?) {
        (testCase.replies, testCase.error)
    }
}

@Suite("Outbound SMTP: replies and EHLO capabilities")
struct SMTPClientReplyTests {
    @Test("enhanced status codes are read when well-formed and of the reply's class", arguments: [
        (SMTPClientReply(250, "2.1.0 Ok"), "2.1.0"),
        (SMTPClientReply(550, "5.1.1 <bob@example.net>: no such user"), "5.1.1"),
        (SMTPClientReply(452, "4.5.3 too many recipients"), "4.5.3"),
        (SMTPClientReply(554, "5.7.30 REQUIRETLS needed"), "5.7.30"),
        (SMTPClientReply(550, "5.123.456"), "5.123.456"),
        (SMTPClientReply(550, "4.1.1 wrong class"), nil),
        (SMTPClientReply(550, "5.1 short"), nil),
        (SMTPClientReply(550, "5.1.1.1 long"), nil),
        (SMTPClientReply(550, "5.1234.1 too many digits"), nil),
        (SMTPClientReply(550, "3.1.1 no such class"), nil),
        (SMTPClientReply(550, "5.1.1x glued"), nil),
        (SMTPClientReply(550, "Mailbox unavailable"), nil),
        (SMTPClientReply(550, ""), nil),
    ] as [(SMTPClientReply, String?)])
    func enhancedStatus(reply: SMTPClientReply, status: String?) {
        #expect(reply.enhancedStatus == status)
    }

    @Test("classes and the one-line text")
    func classesAndText() {
        let ok = SMTPClientReply(code: 250, lines: ["mx.example.net", "PIPELINING"])
        #expect(ok.isPositive && !ok.isTransientNegative && !ok.isPermanentNegative)
        #expect(ok.text == "250 mx.example.net / PIPELINING")
        #expect(SMTPClientReply(452, "4.3.1 full").isTransientNegative)
        #expect(SMTPClientReply(550, "no").isPermanentNegative)
        let intermediate = SMTPClientReply(354, "go on")
        #expect(!intermediate.isPositive && !intermediate.isTransientNegative && !intermediate.isPermanentNegative)
        #expect(SMTPClientReply(250, "").text == "250")
    }

    @Test("EHLO keywords are case-insensitive, with their parameters")
    func ehloCapabilities() {
        let reply = SMTPClientReply(code: 250, lines: [
            "mx.example.net Hello mail.example.org", "pipelining", "SIZE 35882577", "8BITMIME", "SmtpUtf8",
            "DSN", "REQUIRETLS", "CHUNKING", "BINARYMIME", "ENHANCEDSTATUSCODES", "STARTTLS",
            "AUTH PLAIN login", "AUTH=LOGIN XOAUTH2", "X-UNKNOWN whatever", "",
        ])
        let capabilities = EHLOCapabilities(ehloReply: reply)
        #expect(capabilities.serverName == "mx.example.net")
        #expect(capabilities.starttls && capabilities.pipelining && capabilities.eightBitMIME && capabilities.smtputf8)
        #expect(capabilities.dsn && capabilities.requireTLS && capabilities.chunking && capabilities.binaryMIME)
        #expect(capabilities.enhancedStatusCodes)
        #expect(capabilities.size == 35_882_577)
        #expect(capabilities.authMechanisms == ["PLAIN", "LOGIN", "XOAUTH2"])
        #expect(capabilities.raw == Array(reply.lines.dropFirst()))
    }

    @Test("SIZE without a limit, SIZE 0, a bad SIZE, and a reply with no extensions", arguments: [
        (["mx", "SIZE"], 0), (["mx", "SIZE 0"], 0), (["mx", "SIZE lots"], 0), (["mx", "SIZE 1000"], 1000), (["mx"], nil),
    ] as [([String], Int?)])
    func size(lines: [String], size: Int?) {
        let capabilities = EHLOCapabilities(ehloReply: SMTPClientReply(code: 250, lines: lines))
        #expect(capabilities.size == size)
        if lines.count == 1 {
            var expected = EHLOCapabilities()
            expected.serverName = "mx"
            #expect(capabilities == expected)
        }
    }
}
