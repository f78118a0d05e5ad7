import IMAP
import Testing

/// One SEARCH row: a key and the sequence numbers of the fixture messages it matches.
struct SearchCase: CustomStringConvertible, Sendable {
    var key: IMAPSearchKey
    var expected: [UInt32]
    var description: String { "\(key)".prefix(80).description }

    init(_ key: IMAPSearchKey, _ expected: [UInt32]) {
        self.key = key
        self.expected = expected
    }
}

private func text(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Three messages: 1 simple (seen, answered, $Forwarded), 2 multipart (recent, flagged, Work),
/// 3 undated (recent, seen, deleted, draft).
enum SearchFixtures {
    static let messages: [(IMAPSearchMessage, IMAPMessageContent)] = [
        message(1, uid: 10, ["seen", "answered"], ["$Forwarded"], date: 1_796_374_800, FetchFixtures.simple),  // 4-Dec-2026 09:00 UTC
        message(2, uid: 20, ["recent", "flagged"], ["Work"], date: 1_796_542_200, FetchFixtures.multipart),  // 6-Dec-2026 07:30 UTC
        message(3, uid: 35, ["recent", "seen", "deleted", "draft"], [], date: 1_796_083_199, FetchFixtures.undated),  // 30-Nov 23:59:59
    ]

    static func message(_ seq: UInt32, uid: UInt32, _ flags: Set<String>, _ keywords: [String], date: Int64,
                        _ text: String) -> (IMAPSearchMessage, IMAPMessageContent) {
        let content = IMAPMessageContent(storedBytes: FetchFixtures.lf(text))
        return (IMAPSearchMessage(sequenceNumber: seq, uid: uid, systemFlags: flags, keywords: keywords,
                                  internalDate: date, virtualSize: content.bytes.count), content)
    }

    static func search(_ key: IMAPSearchKey, charset: String? = nil) throws -> [UInt32] {
        let evaluator = try IMAPSearchEvaluator(IMAPSearchCommand(charset: charset, key: key),
                                                lastSequenceNumber: 3, lastUID: 35)
        return messages.filter { evaluator.matches($0.0, content: $0.1) }.map(\.0.sequenceNumber)
    }
}

@Suite("SEARCH evaluation (RFC 3501 §6.4.4)")
struct SearchEvaluatorTests {
    static func day(_ y: Int, _ m: Int, _ d: Int) -> IMAPDate { IMAPDate(year: y, month: m, day: d) }

    static let flagCases: [SearchCase] = [
        SearchCase(.all, [1, 2, 3]),
        SearchCase(.seen, [1, 3]), SearchCase(.unseen, [2]),
        SearchCase(.answered, [1]), SearchCase(.unanswered, [2, 3]),
        SearchCase(.flagged, [2]), SearchCase(.unflagged, [1, 3]),
        SearchCase(.deleted, [3]), SearchCase(.undeleted, [1, 2]),
        SearchCase(.draft, [3]), SearchCase(.undraft, [1, 2]),
        SearchCase(.recent, [2, 3]),
        SearchCase(.new, [2]),  // recent and unseen
        SearchCase(.old, [1]),
        SearchCase(.keyword("$forwarded"), [1]), SearchCase(.keyword("work"), [2]), SearchCase(.keyword("Other"), []),
        SearchCase(.unkeyword("WORK"), [1, 3]),
    ]

    static let sizeAndDateCases: [SearchCase] = [
        // RFC822.SIZE: 197, 763 and 196.
        SearchCase(.larger(197), [2]), SearchCase(.larger(196), [1, 2]), SearchCase(.larger(195), [1, 2, 3]),
        SearchCase(.smaller(196), []), SearchCase(.smaller(197), [3]), SearchCase(.smaller(198), [1, 3]),
        // Internal date, UTC days.
        SearchCase(.before(day(2026, 12, 4)), [3]),
        SearchCase(.on(day(2026, 12, 4)), [1]),
        SearchCase(.on(day(2026, 11, 30)), [3]),
        SearchCase(.since(day(2026, 12, 4)), [1, 2]),
        SearchCase(.since(day(2026, 12, 7)), []),
        // Date: header, in its own zone: message 2 was sent on 5-Dec (-0800), 6-Dec in UTC.
        SearchCase(.sentOn(day(2026, 12, 5)), [2]),
        SearchCase(.sentOn(day(2026, 12, 6)), []),
        SearchCase(.sentBefore(day(2026, 12, 5)), [1]),
        SearchCase(.sentSince(day(2026, 12, 5)), [2]),
        SearchCase(.sentSince(day(2000, 1, 1)), [1, 2]),  // no Date: never matches
        SearchCase(.not(.sentSince(day(2000, 1, 1))), [3]),
    ]

    static let textCases: [SearchCase] = [
        SearchCase(.from(text("ALICE")), [1]),
        SearchCase(.from(text("example.")), [1, 2, 3]),
        SearchCase(.to(text("bob@")), [1]), SearchCase(.to(text("dave")), [2]),
        SearchCase(.cc(text("a")), []),
        SearchCase(.bcc(text("grace")), [3]),
        // Unfolded, RFC 2047 decoded (UTF-8 Q, ISO-8859-1 Q), case-insensitive beyond ASCII.
        SearchCase(.subject(text("lunch on")), [1]),
        SearchCase(.subject(text("GRÜSSE")), []),
        SearchCase(.subject(text("GRÜßE UND KÄSE")), [2]),
        SearchCase(.subject(text("=?UTF-8")), []),
        SearchCase(.header("x-note", text("ONE")), [1]),
        SearchCase(.header("X-Note", []), [1]),  // empty value: the field exists
        SearchCase(.header("X-Empty", []), [3]),
        SearchCase(.header("Message-ID", text("@example.org")), [1]),
        // BODY: decoded text parts only.
        SearchCase(.body(text("see you")), [1]),
        SearchCase(.body(text("café at nine o'clock")), [2]),  // quoted-printable soft break
        SearchCase(.body(text("INNER HTML")), [2]),
        SearchCase(.body(text("Subject: Inner")), [2]),  // the encapsulated message's header
        SearchCase(.body(text("treasure")), []),  // application/octet-stream is not text
        SearchCase(.body(text("aGlkZGVu")), []),
        SearchCase(.body(text("grüße aus köln")), [3]),  // base64, ISO-8859-1
        SearchCase(.body(text("Lunch")), []),  // header text is not body
        SearchCase(.text(text("Lunch")), [1]),
        SearchCase(.text(text("noon")), [1]),
        SearchCase(.text(text("x-note: one")), [1]),
        SearchCase(.text(text("")), [1, 2, 3]),
    ]

    static let setCases: [SearchCase] = [
        SearchCase(.sequenceSet(set(n(2))), [2]),
        SearchCase(.sequenceSet(set(r(.last, .number(2)))), [2, 3]),
        SearchCase(.uid(set(r(.number(11), .number(30)))), [2]),
        SearchCase(.uid(set(IMAPSequenceRange(.last))), [3]),
        SearchCase(.uid(set(r(.number(100), .last))), [3]),  // 100:* includes the last UID
        SearchCase(.not(.uid(set(n(10), n(35)))), [2]),
        SearchCase(.or(.flagged, .draft), [2, 3]),
        SearchCase(.and([.seen, .recent]), [3]),
        SearchCase(.and([.seen, .not(.recent), .from(text("alice"))]), [1]),
        SearchCase(.and([]), [1, 2, 3]),
        SearchCase(.or(.not(.seen), .and([.answered, .keyword("$Forwarded")])), [1, 2]),
    ]

    @Test(arguments: flagCases + sizeAndDateCases + textCases + setCases)
    func key(_ row: SearchCase) throws {
        #expect(try SearchFixtures.search(row.key) == row.expected)
    }

    @Test(arguments: ["US-ASCII", "utf-8", "Utf-8", "us-ascii"])
    func acceptedCharsets(_ charset: String) throws {
        #expect(try SearchFixtures.search(.from(text("carol")), charset: charset) == [2])
    }

    @Test(arguments: ["ISO-8859-1", "UTF8", "x-unknown"])
    func otherCharsetsAreRefused(_ charset: String) {
        #expect(throws: IMAPSearchError.badCharset(charset)) {
            try IMAPSearchEvaluator(IMAPSearchCommand(charset: charset, key: .all), lastSequenceNumber: 1, lastUID: 1)
        }
    }

    @Test func needsContentOnlyForHeaderBodyAndSentKeys() throws {
        func needs(_ key: IMAPSearchKey) throws -> Bool {
            try IMAPSearchEvaluator(IMAPSearchCommand(key: key), lastSequenceNumber: 1, lastUID: 1).needsContent
        }
        #expect(try !needs(.and([.seen, .uid(set(n(1))), .larger(5), .before(Self.day(2020, 1, 1)), .keyword("a")])))
        #expect(try needs(.or(.seen, .not(.subject(text("x"))))))
        #expect(try needs(.and([.all, .sentOn(Self.day(2020, 1, 1))])))
        #expect(try needs(.header("X", [])))
        #expect(try needs(.text(text("x"))) && needs(.body(text("x"))))
    }

    @Test func contentKeysDoNotMatchWithoutContent() throws {
        let evaluator = try IMAPSearchEvaluator(IMAPSearchCommand(key: .not(.from(text("a")))),
                                                lastSequenceNumber: 3, lastUID: 35)
        #expect(evaluator.matches(SearchFixtures.messages[0].0, content: nil))
    }

    @Test func serverZoneMovesTheInternalDay() throws {
        // 30-Nov 23:59:59 UTC is 1-Dec in a zone one hour east.
        let evaluator = try IMAPSearchEvaluator(IMAPSearchCommand(key: .on(Self.day(2026, 12, 1))),
                                                lastSequenceNumber: 3, lastUID: 35, timeZoneOffsetSeconds: 3600)
        #expect(SearchFixtures.messages.filter { evaluator.matches($0.0, content: $0.1) }.map(\.0.sequenceNumber) == [3])
    }
}
