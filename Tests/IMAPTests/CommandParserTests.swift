import IMAP
import NIOCore
import Testing

/// One table row: the client's bytes and what the parser must report, whatever the split.
struct ParseCase: CustomStringConvertible, Sendable {
    var input: String
    var expected: [IMAPParseResult]
    var configuration = IMAPParserConfiguration()

    var description: String { String(input.prefix(70)).debugDescription }

    init(_ input: String, _ expected: IMAPParseResult..., configuration: IMAPParserConfiguration = IMAPParserConfiguration()) {
        self.input = input
        self.expected = expected
        self.configuration = configuration
    }
}

func command(_ tag: String, _ kind: IMAPCommand.Kind) -> IMAPParseResult {
    .command(IMAPCommand(tag: tag, kind))
}

func set(_ ranges: IMAPSequenceRange...) -> IMAPSequenceSet { IMAPSequenceSet(ranges) }
func n(_ value: UInt32) -> IMAPSequenceRange { IMAPSequenceRange(.number(value)) }
func r(_ first: IMAPSequenceNumber, _ second: IMAPSequenceNumber) -> IMAPSequenceRange { IMAPSequenceRange(first, second) }

func checkAllSplits(_ testCase: ParseCase, sourceLocation: SourceLocation = #_sourceLocation) {
    for split in Split.all {
        let outcome = drive(bytes(testCase.input), split: split, configuration: testCase.configuration)
        #expect(outcome.results == testCase.expected, "\(split)", sourceLocation: sourceLocation)
        if case .error(_, let error)? = outcome.results.last, error.isFatal { continue }
        #expect(outcome.leftover == 0, "\(split): bytes left over", sourceLocation: sourceLocation)
    }
}

@Suite("IMAP command parser: commands")
struct CommandTableTests {
    static let simple: [ParseCase] = [
        ParseCase("a1 CAPABILITY\r\n", command("a1", .capability)),
        ParseCase("a2 noop\r\n", command("a2", .noop)),
        ParseCase("a3 LOGOUT\r\n", command("a3", .logout)),
        ParseCase("a4 STARTTLS\r\n", command("a4", .starttls)),
        ParseCase("a5 NAMESPACE\r\n", command("a5", .namespace)),
        ParseCase("a6 CHECK\r\na7 CLOSE\r\na8 UNSELECT\r\na9 EXPUNGE\r\n",
            command("a6", .check), command("a7", .close), command("a8", .unselect), command("a9", .expunge)),
        ParseCase("b1 NOOP\n", command("b1", .noop)),  // a bare LF ends a line too
        ParseCase("\r\n\r\nb2 NOOP\r\n", command("b2", .noop)),  // empty lines are ignored
        ParseCase("tag.with]chars NOOP\r\n", command("tag.with]chars", .noop)),
    ]

    static let authentication: [ParseCase] = [
        ParseCase("a LOGIN fred secret\r\n", command("a", .login(user: bytes("fred"), password: bytes("secret")))),
        ParseCase(#"a LOGIN "fred smith" "se\"cr\\et"\#r\#n"#,
            command("a", .login(user: bytes("fred smith"), password: bytes(#"se"cr\et"#)))),
        ParseCase("a LOGIN {4}\r\nfred {6}\r\nsecret\r\n",
            .needContinuation, .needContinuation, command("a", .login(user: bytes("fred"), password: bytes("secret")))),
        ParseCase("a LOGIN {4+}\r\nfred {6+}\r\nsecret\r\n", command("a", .login(user: bytes("fred"), password: bytes("secret")))),
        ParseCase("a LOGIN {0}\r\n {0+}\r\n\r\n", .needContinuation, command("a", .login(user: [], password: []))),
        ParseCase("a LOGIN {3+}\r\nf\u{E4} x\r\n", command("a", .login(user: [0x66, 0xC3, 0xA4], password: bytes("x")))),
        ParseCase("a AUTHENTICATE plain\r\n", command("a", .authenticate(mechanism: "PLAIN", initialResponse: nil))),
        ParseCase("a AUTHENTICATE PLAIN =\r\n", command("a", .authenticate(mechanism: "PLAIN", initialResponse: .empty))),
        ParseCase("a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n",
            command("a", .authenticate(mechanism: "PLAIN", initialResponse: .base64("AGZyZWQAc2VjcmV0")))),
        ParseCase("a AUTHENTICATE XOAUTH2 dXNlcj1=\r\n",
            command("a", .authenticate(mechanism: "XOAUTH2", initialResponse: .base64("dXNlcj1=")))),
        ParseCase("a ENABLE UTF8=ACCEPT CONDSTORE\r\n", command("a", .enable(["UTF8=ACCEPT", "CONDSTORE"]))),
        ParseCase("a ID NIL\r\n", command("a", .id(nil))),
        ParseCase("a ID ()\r\n", command("a", .id([]))),
        ParseCase(#"a ID ("name" "Thunderbird" "version" NIL)"# + "\r\n",
            command("a", .id([IMAPIDParameter(key: bytes("name"), value: bytes("Thunderbird")),
                              IMAPIDParameter(key: bytes("version"), value: nil)]))),
    ]

    static let mailboxes: [ParseCase] = [
        ParseCase("a SELECT INBOX\r\n", command("a", .select("INBOX", parameters: []))),
        ParseCase(#"a SELECT "Sent Items" (CONDSTORE)"# + "\r\n",
            command("a", .select("Sent Items", parameters: [IMAPParameter(name: "CONDSTORE")]))),
        ParseCase("a EXAMINE foo (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
            command("a", .examine("foo", parameters: [IMAPParameter(name: "QRESYNC", value: .list([
                .string(bytes("67890007")), .string(bytes("20050715194045000")), .string(bytes("41,43:211,214:541")),
            ]))]))),
        ParseCase("a CREATE &ZeVnLIqe-\r\n", command("a", .create("&ZeVnLIqe-", parameters: []))),
        ParseCase(#"a CREATE "Archive/&AOQ-" (USE (\Archive))"# + "\r\n",
            command("a", .create("Archive/&AOQ-", parameters: [IMAPParameter(name: "USE", value: .list([.string(bytes(#"\Archive"#))]))]))),
        ParseCase("a DELETE foo\r\n", command("a", .delete("foo"))),
        ParseCase("a RENAME foo {3}\r\nbar\r\n", .needContinuation, command("a", .rename(from: "foo", to: "bar", parameters: []))),
        ParseCase("a SUBSCRIBE &Jjo-\r\na UNSUBSCRIBE &Jjo-\r\n", command("a", .subscribe("&Jjo-")), command("a", .unsubscribe("&Jjo-"))),
        ParseCase(#"a STATUS inbox (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT SIZE)"# + "\r\n",
            command("a", .status("inbox", [.messages, .uidNext, .uidValidity, .unseen, .recent, .size]))),
        ParseCase(#"a LIST "" *"# + "\r\n", command("a", .list(IMAPListCommand(reference: "", patterns: [bytes("*")])))),
        ParseCase("a LIST ~/Mail/ %/&AOQ-\r\n", command("a", .list(IMAPListCommand(reference: "~/Mail/", patterns: [bytes("%/&AOQ-")])))),
        ParseCase(#"a LIST (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE)"# + "\r\n",
            command("a", .list(IMAPListCommand(selectionOptions: [.subscribed], reference: "", patterns: [bytes("*")],
                returnOptions: [.specialUse])))),
        ParseCase(#"a LIST (REMOTE SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" Sent*) RETURN (CHILDREN SUBSCRIBED STATUS (MESSAGES UNSEEN))"# + "\r\n",
            command("a", .list(IMAPListCommand(selectionOptions: [.remote, .subscribed, .recursiveMatch], reference: "",
                patterns: [bytes("INBOX"), bytes("Sent*")], returnOptions: [.children, .subscribed, .status([.messages, .unseen])])))),
        ParseCase(#"a LIST "" """# + "\r\n", command("a", .list(IMAPListCommand(reference: "", patterns: [[]])))),
        ParseCase("a SELECT {2+}\r\n\u{E4}\r\n", command("a", .select(IMAPMailboxName([0xC3, 0xA4]), parameters: []))),
        ParseCase(#"a LIST () "" % RETURN ()"# + "\r\n",
            command("a", .list(IMAPListCommand(reference: "", patterns: [bytes("%")], returnOptions: [])))),
        ParseCase(##"a LSUB "#news." "comp.mail.*""## + "\r\n", command("a", .lsub(reference: "#news.", pattern: bytes("comp.mail.*")))),
    ]

    static let messages: [ParseCase] = [
        ParseCase("a FETCH 1:* ALL\r\n", command("a", .fetch(set(r(.number(1), .last)), IMAPFetchAttribute.all, uid: false))),
        ParseCase("a FETCH 2 fast\r\n", command("a", .fetch(set(n(2)), IMAPFetchAttribute.fast, uid: false))),
        ParseCase("a FETCH 2,4:7,* FULL\r\n",
            command("a", .fetch(set(n(2), r(.number(4), .number(7)), IMAPSequenceRange(.last)), IMAPFetchAttribute.full, uid: false))),
        ParseCase("a UID FETCH 1:* (FLAGS)\r\n", command("a", .fetch(set(r(.number(1), .last)), [.flags], uid: true))),
        ParseCase("a FETCH 1 (UID RFC822.SIZE INTERNALDATE ENVELOPE BODY BODYSTRUCTURE RFC822 RFC822.HEADER RFC822.TEXT)\r\n",
            command("a", .fetch(set(n(1)), [.uid, .rfc822Size, .internalDate, .envelope, .bodyStructure(extensions: false),
                .bodyStructure(extensions: true), .rfc822, .rfc822Header, .rfc822Text], uid: false))),
        ParseCase("a FETCH 3 (BODY[] BODY.PEEK[HEADER.FIELDS (From To Message-ID)]<0.1024> BODY[1.2.MIME] BODY[1.TEXT] BODY[2] body.peek[header.fields.not (Received)])\r\n",
            command("a", .fetch(set(n(3)), [
                .bodySection(IMAPSection(), partial: nil, peek: false),
                .bodySection(IMAPSection(text: .headerFields(["From", "To", "Message-ID"])), partial: IMAPPartial(offset: 0, length: 1024), peek: true),
                .bodySection(IMAPSection(part: [1, 2], text: .mime), partial: nil, peek: false),
                .bodySection(IMAPSection(part: [1], text: .text), partial: nil, peek: false),
                .bodySection(IMAPSection(part: [2]), partial: nil, peek: false),
                .bodySection(IMAPSection(text: .headerFieldsNot(["Received"])), partial: nil, peek: true),
            ], uid: false))),
        ParseCase("a FETCH 1 BODY[TEXT]<100.200>\r\n",
            command("a", .fetch(set(n(1)), [.bodySection(IMAPSection(text: .text), partial: IMAPPartial(offset: 100, length: 200), peek: false)], uid: false))),
        ParseCase("a FETCH 1 BODY[4.2.HEADER]\r\n",
            command("a", .fetch(set(n(1)), [.bodySection(IMAPSection(part: [4, 2], text: .header), partial: nil, peek: false)], uid: false))),
        ParseCase(#"a STORE 2:4 +FLAGS.SILENT (\Deleted $Forwarded)"# + "\r\n",
            command("a", .store(set(r(.number(2), .number(4))), IMAPStoreAction(mode: .add, silent: true, flags: [.deleted, .keyword("$Forwarded")]), uid: false))),
        ParseCase(#"a UID STORE 7 -FLAGS \Seen \Flagged NonJunk"# + "\r\n",
            command("a", .store(set(n(7)), IMAPStoreAction(mode: .remove, silent: false, flags: [.seen, .flagged, .keyword("NonJunk")]), uid: true))),
        ParseCase(#"a STORE 1 FLAGS ()"# + "\r\n",
            command("a", .store(set(n(1)), IMAPStoreAction(mode: .replace, silent: false, flags: []), uid: false))),
        ParseCase(#"a STORE 1 FLAGS (\Answered \Draft \Recent)"# + "\r\n",
            command("a", .store(set(n(1)), IMAPStoreAction(mode: .replace, silent: false, flags: [.answered, .draft, .extension("Recent")]), uid: false))),
        ParseCase("a COPY 2:4 MEETING\r\n", command("a", .copy(set(r(.number(2), .number(4))), "MEETING", uid: false))),
        ParseCase("a UID COPY 4:2 &AOQ-\r\n", command("a", .copy(set(r(.number(4), .number(2))), "&AOQ-", uid: true))),
        ParseCase("a MOVE 1 Trash\r\na UID MOVE 42:* \"Deleted Items\"\r\n",
            command("a", .move(set(n(1)), "Trash", uid: false)), command("a", .move(set(r(.number(42), .last)), "Deleted Items", uid: true))),
        ParseCase("a UID EXPUNGE 3000:3002,4000\r\n", command("a", .uidExpunge(set(r(.number(3000), .number(3002)), n(4000))))),
        ParseCase("a FETCH 4294967295 FLAGS\r\n", command("a", .fetch(set(n(UInt32.max)), [.flags], uid: false))),
    ]

    static let searches: [ParseCase] = [
        ParseCase("a SEARCH ALL\r\n", command("a", .search(IMAPSearchCommand(key: .all), uid: false))),
        ParseCase(#"a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith""# + "\r\n",
            command("a", .search(IMAPSearchCommand(key: .and([.flagged, .since(IMAPDate(year: 1994, month: 2, day: 1)), .not(.from(bytes("Smith")))])), uid: false))),
        ParseCase(#"a UID SEARCH CHARSET UTF-8 OR (SUBJECT {4+}"# + "\r\n\u{E4}\u{F6} UNSEEN) NOT (DELETED OR 1:5 UID 7,9:*)\r\n",
            command("a", .search(IMAPSearchCommand(charset: "UTF-8", key: .or(
                .and([.subject([0xC3, 0xA4, 0xC3, 0xB6]), .unseen]),
                .not(.and([.deleted, .or(.sequenceSet(set(r(.number(1), .number(5)))), .uid(set(n(7), r(.number(9), .last))))])))), uid: true))),
        ParseCase(#"a SEARCH HEADER Message-ID "<x@y>" KEYWORD $Junk UNKEYWORD NonJunk LARGER 1024 SMALLER 99999999999 BEFORE "07-Feb-1994" ON 29-feb-2000 SENTBEFORE 1-Jan-2001 SENTON 2-Jan-2001 SENTSINCE 3-Jan-2001"# + "\r\n",
            command("a", .search(IMAPSearchCommand(key: .and([
                .header("Message-ID", bytes("<x@y>")), .keyword("$Junk"), .unkeyword("NonJunk"), .larger(1024), .smaller(99_999_999_999),
                .before(IMAPDate(year: 1994, month: 2, day: 7)), .on(IMAPDate(year: 2000, month: 2, day: 29)),
                .sentBefore(IMAPDate(year: 2001, month: 1, day: 1)), .sentOn(IMAPDate(year: 2001, month: 1, day: 2)),
                .sentSince(IMAPDate(year: 2001, month: 1, day: 3)),
            ])), uid: false))),
        ParseCase("a SEARCH ANSWERED DELETED DRAFT NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN BCC b BODY c CC d TEXT e TO f\r\n",
            command("a", .search(IMAPSearchCommand(key: .and([.answered, .deleted, .draft, .new, .old, .recent, .seen, .unanswered, .undeleted,
                .undraft, .unflagged, .unseen, .bcc(bytes("b")), .body(bytes("c")), .cc(bytes("d")), .text(bytes("e")), .to(bytes("f"))])), uid: false))),
        ParseCase("a SEARCH charset\r\n", .error(tag: "a", IMAPParseError(.syntax, "Unknown search key CHARSET"))),
    ]

    static let append: [ParseCase] = [
        ParseCase("a APPEND saved-messages (\\Seen) \"07-Feb-1994 21:52:25 -0800\" {5}\r\nhello\r\n",
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "saved-messages", flags: [.seen],
                internalDate: IMAPDateTime(date: IMAPDate(year: 1994, month: 2, day: 7), hour: 21, minute: 52, second: 25, zoneMinutes: -480),
                messageSize: 5, synchronizing: true)),
            .appendData(buffer("hello")), .appendEnd(tag: "a")),
        ParseCase("a APPEND INBOX \" 7-Feb-1994 01:02:03 +0130\" {3+}\r\nabc\r\nb NOOP\r\n",
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "INBOX", flags: [],
                internalDate: IMAPDateTime(date: IMAPDate(year: 1994, month: 2, day: 7), hour: 1, minute: 2, second: 3, zoneMinutes: 90),
                messageSize: 3, synchronizing: false)),
            .appendData(buffer("abc")), .appendEnd(tag: "a"), command("b", .noop)),
        ParseCase("a APPEND {5}\r\nDraft () {0}\r\n\r\n",
            .needContinuation,
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "Draft", flags: [], internalDate: nil, messageSize: 0, synchronizing: true)),
            .appendEnd(tag: "a")),
        ParseCase("a APPEND &AOQ- {9+}\r\n{5}\r\nab\r\n\r\n",  // literal-looking content is just content
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "&AOQ-", flags: [], internalDate: nil, messageSize: 9, synchronizing: false)),
            .appendData(buffer("{5}\r\nab\r\n")), .appendEnd(tag: "a")),
        ParseCase("a APPEND INBOX {2+}\r\nab {2+}\r\ncd\r\nb NOOP\r\n",
            .appendStart(IMAPAppendHeader(tag: "a", mailbox: "INBOX", flags: [], internalDate: nil, messageSize: 2, synchronizing: false)),
            .appendData(buffer("ab")),
            .appendStart(multiAppendHeader(tag: "a", mailbox: "INBOX", size: 2, synchronizing: false, number: 2)),
            .appendData(buffer("cd")), .appendEnd(tag: "a"),
            command("b", .noop)),
        ParseCase("a APPEND INBOX\r\nb APPEND INBOX (\\Seen {3}\r\n",
            .error(tag: "a", IMAPParseError(.syntax, "APPEND needs a message literal")),
            .error(tag: "b", IMAPParseError(.syntax, "Expected an atom"))),
    ]

    static let idle: [ParseCase] = [
        ParseCase("a IDLE\r\ndone\r\nb NOOP\r\n", command("a", .idle), .idleDone, command("b", .noop)),
        ParseCase("a IDLE\r\nb NOOP\r\n", command("a", .idle), .error(tag: nil, IMAPParseError(.expectedDone, "Expected DONE"))),
    ]

    @Test("simple commands", arguments: simple)
    func simpleCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("LOGIN, AUTHENTICATE, ENABLE, ID", arguments: authentication)
    func authenticationCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("mailbox commands: names pass through raw", arguments: mailboxes)
    func mailboxCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("FETCH, STORE, COPY, MOVE, UID EXPUNGE", arguments: messages)
    func messageCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("SEARCH key grammar", arguments: searches)
    func searchCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("APPEND streams its message", arguments: append)
    func appendCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }

    @Test("IDLE and DONE", arguments: idle)
    func idleCommands(_ testCase: ParseCase) { checkAllSplits(testCase) }
}
