import IMAP
import NIOCore
import Testing

/// An APPEND header as the parser reports it for a MULTIAPPEND message or a literal8.
func multiAppendHeader(
    tag: String, mailbox: IMAPMailboxName, flags: [IMAPFlag] = [], date: IMAPDateTime? = nil, size: Int,
    synchronizing: Bool, binary: Bool = false, number: Int = 1
) -> IMAPAppendHeader {
    var header = IMAPAppendHeader(
        tag: tag, mailbox: mailbox, flags: flags, internalDate: date, messageSize: size, synchronizing: synchronizing)
    header.binary = binary
    header.messageNumber = number
    return header
}

@Suite("IMAP command parser: BINARY (RFC 3516) and MULTIAPPEND (RFC 3502)")
struct BinaryMultiAppendParserTests {
    static let small = IMAPParserConfiguration(limits: {
        var limits = IMAPParserLimits(maxAppendSize: 10)
        limits.maxMultiAppendMessages = 3
        limits.maxMultiAppendSize = 15
        return limits
    }())

    static let fetches: [ParseCase] = [
        ParseCase("a FETCH 1 BINARY[]\r\n", command("a", .fetch(set(n(1)), [.binary(part: [], partial: nil, peek: false)], uid: false))),
        ParseCase("a FETCH 1 (BINARY.PEEK[1.2]<5.10> binary.size[2])\r\n",
            command("a", .fetch(set(n(1)), [.binary(part: [1, 2], partial: IMAPPartial(offset: 5, length: 10), peek: true),
                                        .binarySize(part: [2])], uid: false))),
        ParseCase("a UID FETCH 1:* (UID BINARY.SIZE[])\r\n",
            command("a", .fetch(set(r(.number(1), .last)), [.uid, .binarySize(part: [])], uid: true))),
        // section-binary holds part numbers only (RFC 3516 §6): no HEADER, TEXT or MIME.
        ParseCase("a FETCH 1 BINARY[1.TEXT]\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a number"))),
        ParseCase("a FETCH 1 BINARY[HEADER]\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a number"))),
        ParseCase("a FETCH 1 BINARY[1 2]\r\n",
            .error(tag: "a", IMAPParseError(.syntax, "Expected \"]\" after the section part (BINARY takes part numbers only)"))),
        ParseCase("a FETCH 1 BINARY[0]\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a non-zero number"))),
        ParseCase("a FETCH 1 BINARY.SIZE\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected \"[\" after BINARY.SIZE"))),
    ]

    static let literal8: [ParseCase] = [
        // A literal8 message may hold NUL; its bytes are handed on as they are.
        ParseCase("a APPEND INBOX ~{3}\r\na\u{0}b\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 3, synchronizing: true, binary: true)),
            .appendData(buffer("a\u{0}b")), .appendEnd(tag: "a")),
        ParseCase("a APPEND INBOX (\\Seen) ~{2+}\r\n\u{0}\u{0}\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", flags: [.seen], size: 2, synchronizing: false, binary: true)),
            .appendData(buffer("\u{0}\u{0}")), .appendEnd(tag: "a")),
        // NUL in a plain literal stays an error (RFC 3501 §4.3 CHAR8), answered after the message.
        ParseCase("a APPEND INBOX {3+}\r\na\u{0}b\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 3, synchronizing: false)),
            .appendData(buffer("a\u{0}b")),
            .error(tag: "a", IMAPParseError(.syntax, "NUL octet in a literal; send binary data as a literal8 ~{n} (RFC 3516)")),
            command("b", .noop)),
        // literal8 is only for APPEND data.
        ParseCase("a LOGIN ~{3+}\r\nabc x\r\nb NOOP\r\n",
            .error(tag: "a", IMAPParseError(.syntax, "A literal8 (~{n}) is only allowed for an APPEND message", skippedLiteralOctets: 3)),
            command("b", .noop)),
        // A `~` that does not touch the brace is no literal8.
        ParseCase("a LOGIN \"~\" {1+}\r\nx\r\n", command("a", .login(user: bytes("~"), password: bytes("x")))),
    ]

    static let multiAppend: [ParseCase] = [
        ParseCase("a APPEND Drafts (\\Draft) {1+}\r\nx (\\Seen) \"01-Jan-2024 10:00:00 +0000\" ~{1+}\r\ny {1+}\r\nz\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "Drafts", flags: [.draft], size: 1, synchronizing: false)),
            .appendData(buffer("x")),
            .appendStart(multiAppendHeader(tag: "a", mailbox: "Drafts", flags: [.seen],
                date: IMAPDateTime(date: IMAPDate(year: 2024, month: 1, day: 1), hour: 10, minute: 0, second: 0, zoneMinutes: 0),
                size: 1, synchronizing: false, binary: true, number: 2)),
            .appendData(buffer("y")),
            .appendStart(multiAppendHeader(tag: "a", mailbox: "Drafts", size: 1, synchronizing: false, number: 3)),
            .appendData(buffer("z")), .appendEnd(tag: "a"),
            command("b", .noop)),
        // Bad syntax in the 3rd message: the whole command fails, its literal is skipped.
        ParseCase("a APPEND INBOX {1+}\r\nx {1+}\r\ny (\\Seen {1+}\r\nz\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false)),
            .appendData(buffer("x")),
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false, number: 2)),
            .appendData(buffer("y")),
            .error(tag: "a", IMAPParseError(.syntax, "Expected an atom", skippedLiteralOctets: 1)),
            command("b", .noop)),
        ParseCase("a APPEND INBOX {1+}\r\nx junk\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false)),
            .appendData(buffer("x")),
            .error(tag: "a", IMAPParseError(.syntax, "Expected CRLF or the next message after the message")),
            command("b", .noop)),
    ]

    static let limits: [ParseCase] = [
        // Each message is held to APPENDLIMIT (NO [TOOBIG]); a synchronizing one is never sent.
        ParseCase("a APPEND INBOX {1+}\r\nx {11}\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false)),
            .appendData(buffer("x")),
            .error(tag: "a", IMAPParseError(.literalTooLarge, "Message larger than 10 octets", reply: .no, responseCode: "TOOBIG")),
            command("b", .noop), configuration: small),
        // The command's total (15 here) and count (3 here) are capped: NO [LIMIT].
        ParseCase("a APPEND INBOX {10+}\r\n0123456789 {6+}\r\nabcdef\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 10, synchronizing: false)),
            .appendData(buffer("0123456789")),
            .error(tag: "a", IMAPParseError(.commandTooLarge, "Messages of one APPEND larger than 15 octets together", reply: .no,
                responseCode: "LIMIT", skippedLiteralOctets: 6)),
            command("b", .noop), configuration: small),
        ParseCase("a APPEND INBOX {1+}\r\n1 {1+}\r\n2 {1+}\r\n3 {1+}\r\n4\r\nb NOOP\r\n",
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false)),
            .appendData(buffer("1")),
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false, number: 2)),
            .appendData(buffer("2")),
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 1, synchronizing: false, number: 3)),
            .appendData(buffer("3")),
            .error(tag: "a", IMAPParseError(.commandTooLarge, "More than 3 messages in one APPEND", reply: .no,
                responseCode: "LIMIT", skippedLiteralOctets: 1)),
            command("b", .noop), configuration: small),
    ]

    @Test("FETCH BINARY, BINARY.PEEK, BINARY.SIZE", arguments: fetches)
    func fetchItems(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("literal8 in APPEND; NUL elsewhere is an error", arguments: literal8)
    func literal8Messages(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("MULTIAPPEND: several messages under one tag", arguments: multiAppend)
    func multiAppendMessages(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("MULTIAPPEND limits: per message, per command size and count", arguments: limits)
    func multiAppendLimits(_ testCase: ParseCase) { checkAllSplits(testCase) }
}
