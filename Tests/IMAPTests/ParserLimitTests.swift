import IMAP
import NIOCore
import Testing
import TestSupport

func syntax(_ tag: String?, _ message: String) -> IMAPParseResult {
    .error(tag: tag, IMAPParseError(.syntax, message))
}

@Suite("IMAP command parser: errors keep the tag, limits hold")
struct ParserLimitTests {
    static var small: IMAPParserConfiguration {
        IMAPParserConfiguration(limits: IMAPParserLimits(maxLineLength: 40, maxLiteralSize: 10, maxCommandSize: 100, maxAppendSize: 1000, maxNestingDepth: 5))
    }

    static let errors: [ParseCase] = [
        ParseCase("a1 FOO bar\r\nb NOOP\r\n", .error(tag: "a1", IMAPParseError(.unknownCommand, "Unknown command FOO")), command("b", .noop)),
        ParseCase("a2 FETCH 0 FLAGS\r\n", syntax("a2", "Expected a non-zero number")),
        ParseCase("a2 FETCH 4294967296 FLAGS\r\n", syntax("a2", "Number too large")),
        ParseCase("a3 LOGIN \"fred\r\nb NOOP\r\n", syntax("a3", "Invalid character in a quoted string"), command("b", .noop)),
        ParseCase("a4 LOGIN \"p\u{E4}\" x\r\n", syntax("a4", "8-bit character in a quoted string (use a literal)")),
        ParseCase("a5 LOGIN \"a\\b\" x\r\n", syntax("a5", "Only \\\" and \\\\ may be escaped in a quoted string")),
        ParseCase("* NOOP\r\n+ NOOP\r\nb NOOP\r\n", syntax(nil, "Missing or invalid tag"), syntax(nil, "Missing or invalid tag"), command("b", .noop)),
        ParseCase("a6\r\n", syntax("a6", "Expected a space")),
        ParseCase("a7 NOOP extra\r\n", syntax("a7", "Unexpected characters at the end of the command")),
        ParseCase("a8 SELECT\r\n", syntax("a8", "Expected a space")),
        ParseCase("a9 SEARCH SINCE 31-Feb-2020\r\n", syntax("a9", "No such day")),
        ParseCase("b1 FETCH 1 BODY[MIME]\r\n", syntax("b1", "Unknown section MIME")),
        ParseCase("b2 FETCH 1 BODY.PEEK\r\n", syntax("b2", "BODY.PEEK needs a section")),
        ParseCase("b3 FETCH 1 BODY[]<0.0>\r\n", syntax("b3", "Expected a non-zero number")),
        ParseCase("b4 LIST (RECURSIVEMATCH) \"\" *\r\n", syntax("b4", "RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE")),
        ParseCase("b5 LOGIN {3+}\r\na\u{0}b x\r\n", syntax("b5", "NUL in a literal")),
        ParseCase("b6 APPEND INBOX \"31-Apr-2020 00:00:00 +0000\" {1+}\r\nx\r\nb NOOP\r\n",
            .error(tag: "b6", IMAPParseError(.syntax, "No such day", skippedLiteralOctets: 1)), command("b", .noop)),
        ParseCase("b7 AUTHENTICATE PLAIN abc\r\n", syntax("b7", "Invalid base64 initial response")),
        ParseCase("b8 STORE 1 FLAGS.LOUD (\\Seen)\r\n", syntax("b8", "Expected FLAGS or FLAGS.SILENT")),
        ParseCase("b9 UID FOO 1\r\n", syntax("b9", "Unknown UID command FOO")),
        // UTF8=ACCEPT lets UTF-8 into quoted strings, but only valid UTF-8.
        ParseCase("c1 SELECT \"\u{E4}\"\r\n", command("c1", .select(IMAPMailboxName([0xC3, 0xA4]), parameters: [])),
            configuration: IMAPParserConfiguration(utf8Accepted: true)),
    ]

    static let limits: [ParseCase] = [
        // The line limit counts CRLF: 40 octets pass, 41 do not.
        ParseCase("a LOGIN " + String(repeating: "x", count: 28) + " y\r\n",
            command("a", .login(user: bytes(String(repeating: "x", count: 28)), password: bytes("y"))), configuration: small),
        ParseCase("a LOGIN " + String(repeating: "x", count: 29) + " y\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.lineTooLong, "Line longer than 40 octets")), command("b", .noop), configuration: small),
        // A long line that announces a non-synchronizing literal: the literal is skipped too.
        ParseCase("a LOGIN " + String(repeating: "x", count: 40) + " {3+}\r\nabc\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.lineTooLong, "Line longer than 40 octets")), command("b", .noop), configuration: small),
        // A line over the limit: BAD with the tag; the rest of the line is skipped.
        ParseCase("a LOGIN " + String(repeating: "x", count: 60) + " y\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.lineTooLong, "Line longer than 40 octets")), command("b", .noop), configuration: small),
        // Synchronizing literal over the limit: the client waits for "+", so nothing to skip.
        ParseCase("a LOGIN {11}\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Literal larger than 10 octets", responseCode: "TOOBIG")), command("b", .noop),
            configuration: small),
        // Non-synchronizing literal over the limit: its octets and the rest of the command are skipped.
        ParseCase("a LOGIN {12+}\r\nb NOOP\r\nxxx {3+}\r\nabc\r\nc NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Literal larger than 10 octets", responseCode: "TOOBIG", skippedLiteralOctets: 12)),
            command("c", .noop), configuration: small),
        ParseCase("a LOGIN {5+}\r\nabcde {5+}\r\nabcde\r\n" + "b LOGIN {10+}\r\n0123456789" + String(repeating: " {10+}\r\n0123456789", count: 5) + "\r\nc NOOP\r\n",
            command("a", .login(user: bytes("abcde"), password: bytes("abcde"))),
            .error(tag: "b", IMAPParseError(.commandTooLarge, "Command larger than 100 octets", skippedLiteralOctets: 10)),
            command("c", .noop), configuration: small),
        ParseCase("a APPEND INBOX {1001}\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Message larger than 1000 octets", reply: .no, responseCode: "TOOBIG")),
            command("b", .noop), configuration: small),
        ParseCase("a SEARCH NOT NOT NOT NOT NOT NOT ALL\r\n",
            .error(tag: "a", IMAPParseError(.nestingTooDeep, "Nesting deeper than 5 levels")), configuration: small),
        ParseCase("a SEARCH NOT NOT NOT NOT ALL\r\n", command("a", .search(IMAPSearchCommand(key: .not(.not(.not(.not(.all))))), uid: false)),
            configuration: small),
        ParseCase("a SEARCH ((((((ALL))))))\r\n",
            .error(tag: "a", IMAPParseError(.nestingTooDeep, "Nesting deeper than 5 levels")), configuration: small),
        // Declared sizes that do not fit any number: no overflow, no allocation, and no way to resynchronise.
        ParseCase("a LOGIN {99999999999999999999999999}\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Literal size too large", responseCode: "TOOBIG", isFatal: true))),
        // A huge but representable synchronizing size: refused at once, the connection goes on.
        ParseCase("a APPEND INBOX {9007199254740000}\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Message larger than 52428800 octets", reply: .no, responseCode: "TOOBIG")),
            command("b", .noop)),
        ParseCase("a LOGIN {4294967296}\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Literal larger than 65536 octets", responseCode: "TOOBIG")), command("b", .noop)),
    ]

    static let literalModes: [ParseCase] = [
        ParseCase("a LOGIN {3+}\r\nabc x\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.nonSynchronizingLiteralNotAllowed, "Non-synchronizing literals are not supported", skippedLiteralOctets: 3)),
            command("b", .noop), configuration: IMAPParserConfiguration(literalPlus: .none)),
        ParseCase("a LOGIN {3}\r\nabc x\r\n", .needContinuation, command("a", .login(user: bytes("abc"), password: bytes("x"))),
            configuration: IMAPParserConfiguration(literalPlus: .none)),
        ParseCase("a APPEND INBOX {4096+}\r\n" + String(repeating: "m", count: 4096) + "\r\n",
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "INBOX", flags: [], internalDate: nil, messageSize: 4096, synchronizing: false)),
            .appendData(buffer(String(repeating: "m", count: 4096))), .appendEnd(tag: "a"),
            configuration: IMAPParserConfiguration(literalPlus: .literalMinus)),
        ParseCase("a APPEND INBOX {4097+}\r\n" + String(repeating: "m", count: 4097) + "\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Non-synchronizing literal larger than 4096 octets (LITERAL-)",
                responseCode: "TOOBIG", skippedLiteralOctets: 4097)),
            command("b", .noop), configuration: IMAPParserConfiguration(literalPlus: .literalMinus)),
        ParseCase("a APPEND INBOX {4097}\r\n" + String(repeating: "m", count: 4097) + "\r\n",
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "INBOX", flags: [], internalDate: nil, messageSize: 4097, synchronizing: true)),
            .appendData(buffer(String(repeating: "m", count: 4097))), .appendEnd(tag: "a"),
            configuration: IMAPParserConfiguration(literalPlus: .literalMinus)),
    ]

    @Test("malformed commands keep their tag and the session goes on", arguments: errors)
    func malformed(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("limits: line, literal, command, message, nesting", arguments: limits)
    func limitCases(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("LITERAL+, LITERAL- and neither", arguments: literalModes)
    func literalModeCases(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("a refused APPEND: a synchronizing message never comes, a non-synchronizing one is skipped")
    func refusedAppend() {
        for split in Split.all {
            let sync = drive(bytes("a APPEND INBOX {5}\r\nb NOOP\r\n"), split: split, refuseAppends: true)
            #expect(sync.results == [
                .appendStart(IMAPAppendHeader(tag: "a", mailbox: "INBOX", flags: [], internalDate: nil, messageSize: 5, synchronizing: true)),
                command("b", .noop),
            ], "\(split)")
            let nonSync = drive(bytes("a APPEND INBOX {5+}\r\nhello\r\nb NOOP\r\n"), split: split, refuseAppends: true)
            #expect(nonSync.results == [
                .appendStart(IMAPAppendHeader(tag: "a", mailbox: "INBOX", flags: [], internalDate: nil, messageSize: 5, synchronizing: false)),
                command("b", .noop),
            ], "\(split)")
        }
    }

    @Test("a huge APPEND message streams in pieces and is never gathered")
    func streamedAppend() {
        var parser = IMAPCommandParser()
        var input = ByteBuffer(string: "a APPEND INBOX {50000000+}\r\n")
        guard case .appendStart(let header) = parser.parse(&input) else {
            Issue.record("expected appendStart")
            return
        }
        #expect(header.messageSize == 50_000_000)
        var received = 0
        let piece = String(repeating: "x", count: 65_536)
        while received < 50_000_000 {
            input.writeString(String(piece.prefix(50_000_000 - received)))
            guard case .appendData(let data) = parser.parse(&input) else {
                Issue.record("expected appendData")
                return
            }
            received += data.readableBytes
            #expect(input.readableBytes == 0)
            #expect(parser.parse(&input) == .needMoreBytes || received == 50_000_000)
        }
        input.writeString("\r\n")
        #expect(parser.parse(&input) == .appendEnd(tag: "a"))
    }

    @Test("partial lines stay in the input until complete; literals are taken as they come")
    func consumption() {
        var parser = IMAPCommandParser()
        var input = ByteBuffer(string: "a LOGIN fr")
        #expect(parser.parse(&input) == .needMoreBytes)
        #expect(input.readableBytes == 10)
        #expect(parser.isInsideCommand)
        input.writeString("ed {6}\r\nsec")
        #expect(parser.parse(&input) == .needContinuation)
        #expect(input.readableBytes == 3)
        #expect(parser.parse(&input) == .needMoreBytes)
        #expect(input.readableBytes == 0)
        #expect(parser.isInsideCommand)
        input.writeString("ret\r\nb NO")
        #expect(parser.parse(&input) == command("a", .login(user: bytes("fred"), password: bytes("secret"))))
        #expect(input.readableBytes == 4)
        #expect(!parser.isInsideCommand)
    }

    @Test("an abandoned synchronizing literal leaves nothing behind")
    func abandonedLiteral() {
        var parser = IMAPCommandParser()
        var input = ByteBuffer(string: "a LOGIN {5}\r\n")
        #expect(parser.parse(&input) == .needContinuation)
        parser.abandonCommand()
        input.writeString("b NOOP\r\n")
        #expect(parser.parse(&input) == command("b", .noop))
    }

    @Test("an authentication response line after a challenge")
    func authenticationResponse() {
        var parser = IMAPCommandParser()
        var input = ByteBuffer(string: "a AUTHENTICATE PLAIN\r\nAGZyZWQAc2VjcmV0\r\nb NOOP\r\n")
        #expect(parser.parse(&input) == command("a", .authenticate(mechanism: "PLAIN", initialResponse: nil)))
        parser.expectAuthenticationResponse()
        #expect(parser.parse(&input) == .authenticationResponse("AGZyZWQAc2VjcmV0"))
        #expect(parser.parse(&input) == command("b", .noop))
    }

    @Test("random input never traps, and every split gives the same results", arguments: 0..<40)
    func randomInput(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed) &* 7919 &+ 17)
        let pieces = [
            "a", "A1 ", "UID ", "FETCH ", "SEARCH ", "APPEND ", "LOGIN ", "LIST ", "STORE ", "IDLE", "DONE", " ", "(", ")", "[", "]", "<",
            ">", "\"", "\\", "{", "}", "+", "-", "*", "%", "0", "1", "9", ":", ",", ".", "{3}", "{2+}", "{99999999999999999999}", "\r\n",
            "\n", "\r", "\u{0}", "\u{FF}", "BODY[", "HEADER.FIELDS (", "NOT ", "OR ", "CHARSET ", "FLAGS ", "\\Seen", "1-Jan-2000", "INBOX",
        ]
        var input: [UInt8] = []
        for _ in 0..<Int.random(in: 1...200, using: &generator) {
            if Int.random(in: 0..<4, using: &generator) == 0 {
                input.append(UInt8.random(in: 0...255, using: &generator))
            } else {
                input += bytes(pieces.randomElement(using: &generator)!)
            }
        }
        let configuration = IMAPParserConfiguration(limits: IMAPParserLimits(maxLineLength: 64, maxLiteralSize: 16, maxCommandSize: 128, maxAppendSize: 32, maxNestingDepth: 4))
        let reference = drive(input, split: .whole, configuration: configuration)
        for split in Split.all.dropFirst() {
            let outcome = drive(input, split: split, configuration: configuration)
            #expect(outcome.results == reference.results, "\(split)")
        }
    }
}
