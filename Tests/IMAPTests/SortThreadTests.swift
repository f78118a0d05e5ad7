@testable import IMAP
import MIME
import Testing

/// Base subjects (RFC 5256 §2.1), sent dates (§2.2), message IDs, and the pure SORT and THREAD
/// algorithms (§3) on hand-made keys.
@Suite struct SortThreadTests {
    private func base(_ subject: String) -> IMAPBaseSubject { IMAPBaseSubject(Array(subject.utf8)) }

    @Test("base subject: Re:/Fwd: chains, blobs, (fwd) trailers and [fwd: ] wrappers go; reply or forward is noted", arguments: [
        ("test", "TEST", false),
        ("Re: test", "TEST", true),
        ("re:test", "TEST", true),
        ("RE:  Re: FWD: fw: Fwd:test", "TEST", true),
        ("Re [list]: test", "TEST", true),
        ("[list] Re: test", "TEST", true),
        ("Re: [list] Re: topic", "TOPIC", true),
        ("[blob] test", "TEST", false),
        ("[a] [b] test", "TEST", false),
        ("[blob]", "[BLOB]", false),
        ("[a] [b]", "[B]", false),
        ("test (fwd)", "TEST", true),
        ("test (FWD)  (fwd) ", "TEST", true),
        ("[fwd: hello]", "HELLO", true),
        ("[Fwd: Re: [x] hello (fwd)]", "HELLO", true),
        ("Re: [fwd: hello]", "HELLO", true),
        ("  many   spaces\there  ", "MANY SPACES HERE", false),
        ("Reply: test", "REPLY: TEST", false),
        ("Re test", "RE TEST", false),
        ("Re:", "", true),
        ("", "", false),
    ])
    func baseSubject(subject: String, expected: String, reply: Bool) {
        let result = base(subject)
        #expect(String(decoding: result.text, as: UTF8.self) == expected)
        #expect(result.isReplyOrForward == reply)
    }

    @Test("the extractor decodes RFC 2047 words before extracting the base subject, and maps only ASCII case")
    func encodedSubject() {
        let extractor = IMAPSortKeyExtractor(fields: [.subject])
        let keys = extractor.keys(
            header: Array("Subject: =?UTF-8?Q?Re=3A_caf=C3=A9?= =?ISO-8859-1?B?5A==?=\r\n\r\n".utf8), sequenceNumber: 1,
            internalDate: 0, size: 0)
        #expect(String(decoding: keys.baseSubject, as: UTF8.self) == "CAF\u{E9}\u{E4}")
        #expect(keys.isReplyOrForward)
    }

    @Test("the header scan finds the first of each field as the MIME header parser does: folds, odd spacing, LF endings")
    func headerScan() {
        let header = Array("""
            Received: from a\r
            \tby b\r
            SUBJECT : first\r
            \t folded\r
            subject: second\r
            To:\tx@y\r
            no colon here\r
            Cc: c@d\nReferences:\r
             <a@b>\r
              <c@d>\r
            \r
            From: in the body\r

            """.utf8)
        let names = ["subject", "to", "cc", "references", "from", "date"].map { Array($0.utf8) }
        let scanned = IMAPHeaderFieldScan.firstValues(of: names, in: header)
        let parsed = MessageHeader.parse(header, in: 0..<header.count).header
        for (index, name) in names.enumerated() {
            #expect(scanned[index] == parsed.first(String(decoding: name, as: UTF8.self)), "\(String(decoding: name, as: UTF8.self))")
        }
        #expect(scanned[0] == Array("first\t folded".utf8))
        #expect(scanned[4] == nil && scanned[5] == nil, "From: after the blank line is body; there is no Date:")
    }

    @Test("sent date: the Date: header in UTC; without a usable one, the INTERNALDATE")
    func sentDate() {
        #expect(IMAPSentDate.seconds(of: Array("Mon, 7 Feb 1994 21:52:25 -0800".utf8)) == 760_686_745)
        #expect(IMAPSentDate.seconds(of: Array("7 Feb 1994 21:52:25 PST (comment)".utf8)) == 760_686_745)
        #expect(IMAPSentDate.seconds(of: Array("Tue, 8 Feb 94 05:52 GMT".utf8)) == 760_686_720)
        #expect(IMAPSentDate.seconds(of: Array("Wed, 1 Jan 2020 10:00:00 +0000".utf8)) == 1_577_872_800)
        #expect(IMAPSentDate.seconds(of: Array("yesterday".utf8)) == nil)
        #expect(IMAPSentDate.seconds(of: Array("1 Jan 2020".utf8)) == nil, "a date without a time")
        #expect(IMAPSentDate.seconds(of: Array("1 Jan 2020 25:00:00 +0000".utf8)) == nil)
        let extractor = IMAPSortKeyExtractor(fields: [.sentDate])
        let invalid = extractor.keys(header: Array("Date: soon\r\n\r\n".utf8), sequenceNumber: 1, internalDate: 42, size: 0)
        #expect(invalid.sentDate == 42)
        let missing = extractor.keys(header: Array("Subject: x\r\n\r\n".utf8), sequenceNumber: 1, internalDate: 43, size: 0)
        #expect(missing.sentDate == 43)
    }

    @Test("message IDs: brackets, comments, quoting and obsolete In-Reply-To phrases; invalid ones skipped")
    func messageIDs() {
        func ids(_ text: String) -> [String] { IMAPMessageIDs.all(in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) } }
        #expect(ids("<a@b> <c@d>") == ["a@b", "c@d"])
        #expect(ids("<a@b>\t(comment <x@y>)\r\n <c@d>") == ["a@b", "c@d"])
        #expect(ids(#"<"quoted\"part"@host>"#) == [#"quoted"part@host"#])
        #expect(ids("<no-domain> <@x> <y@> <ok@x>") == ["ok@x"])
        #expect(ids(#"Your message of "Mon <z@z>" <p@q>"#) == ["p@q"])
        #expect(ids("<broken@x <next@y>") == ["next@y"])
        #expect(ids("<A@B>") != ids("<a@b>"), "IDs compare case-sensitively")
    }

    @Test("addresses sort by the first mailbox's local part; DISPLAYFROM by display name, else the address")
    func addressKeys() {
        let extractor = IMAPSortKeyExtractor(fields: [.from, .to, .cc, .displayFrom, .displayTo])
        let header = """
            From: "Zed Zulu" <alpha@example.org>, other@example.org\r
            To: undisclosed-recipients:;\r
            Cc: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r
            \r

            """
        let keys = extractor.keys(header: Array(header.utf8), sequenceNumber: 1, internalDate: 0, size: 0)
        #expect(String(decoding: keys.from, as: UTF8.self) == "ALPHA")
        #expect(String(decoding: keys.displayFrom, as: UTF8.self) == "ZED ZULU")
        #expect(String(decoding: keys.to, as: UTF8.self) == "UNDISCLOSED-RECIPIENTS")
        #expect(String(decoding: keys.cc, as: UTF8.self) == "JOERG")
        let bare = extractor.keys(header: Array("From: bob@Example.org\r\n\r\n".utf8), sequenceNumber: 1, internalDate: 0, size: 0)
        #expect(String(decoding: bare.displayFrom, as: UTF8.self) == "BOB@EXAMPLE.ORG")
        #expect(bare.to.isEmpty && bare.displayTo.isEmpty)
    }

    private func message(
        _ sequenceNumber: UInt32, date: Int64 = 0, subject: String = "", from: String = "", size: Int = 0, arrival: Int64 = 0,
        id: String? = nil, references: [String] = []
    ) -> IMAPSortKeys {
        var keys = IMAPSortKeys(sequenceNumber: sequenceNumber, internalDate: arrival, size: size, sentDate: date)
        let subject = IMAPBaseSubject(Array(subject.utf8))
        keys.baseSubject = subject.text
        keys.isReplyOrForward = subject.isReplyOrForward
        keys.from = IMAPSortKeyExtractor.casemapped(Array(from.utf8))
        keys.messageID = id.map { Array($0.utf8) }
        keys.references = references.map { Array($0.utf8) }
        return keys
    }

    private func sorted(_ messages: [IMAPSortKeys], _ criteria: [IMAPSortCriterion]) -> [UInt32] {
        IMAPSorter.order(messages, by: criteria)
    }

    @Test("SORT: keys in order, REVERSE on its key only, ties by sequence number (never reversed)")
    func sortOrder() {
        let messages = [
            message(1, date: 300, subject: "b", from: "carol", size: 10, arrival: 5),
            message(2, date: 100, subject: "Re: a", from: "alice", size: 30, arrival: 5),
            message(3, date: 200, subject: "a", from: "Bob", size: 20, arrival: 1),
            message(4, date: 100, subject: "[x] b", from: "", size: 20, arrival: 9),
        ]
        #expect(sorted(messages, [IMAPSortCriterion(.date)]) == [2, 4, 3, 1])
        #expect(sorted(messages, [IMAPSortCriterion(.date, reverse: true)]) == [1, 3, 2, 4])
        #expect(sorted(messages, [IMAPSortCriterion(.subject)]) == [2, 3, 1, 4])
        #expect(sorted(messages, [IMAPSortCriterion(.subject), IMAPSortCriterion(.date, reverse: true)]) == [3, 2, 1, 4])
        #expect(sorted(messages, [IMAPSortCriterion(.from)]) == [4, 2, 3, 1], "an absent From sorts as the empty string")
        #expect(sorted(messages, [IMAPSortCriterion(.size, reverse: true)]) == [2, 3, 4, 1])
        #expect(sorted(messages, [IMAPSortCriterion(.arrival)]) == [3, 1, 2, 4])
        #expect(sorted(messages, [IMAPSortCriterion(.arrival, reverse: true)]) == [4, 1, 2, 3])
        #expect(sorted([], [IMAPSortCriterion(.date)]) == [])
    }

    @Test("thread responses render as RFC 5256 §4 writes them")
    func rendering() {
        // RFC 5256 §4: (2)(3 6 (4 23)(44 7 96)) and a dummy parent ((3)(5)).
        typealias Node = IMAPThreadForest.Node
        let nodes = [
            Node(message: 2), Node(message: 3, children: [2]), Node(message: 6, children: [3, 5]), Node(message: 4, children: [4]),
            Node(message: 23), Node(message: 44, children: [6]), Node(message: 7, children: [7]), Node(message: 96),
            Node(message: nil, children: [9, 10]), Node(message: 30), Node(message: 50),
        ]
        let forest = IMAPThreadForest(nodes: nodes, roots: [0, 1, 8])
        #expect(forest.text() == "(2)(3 6 (4 23)(44 7 96))((30)(50))")
        #expect(forest.text { $0 + 1000 } == "(1002)(1003 1006 (1004 1023)(1044 1007 1096))((1030)(1050))")
        #expect(IMAPThreadForest(nodes: [], roots: []).text() == "")
    }

    @Test("ORDEREDSUBJECT: one thread per base subject, children in sent-date order, threads by their first message")
    func orderedSubject() {
        let messages = [
            message(1, date: 50, subject: "b"),
            message(2, date: 10, subject: "Re: a"),
            message(3, date: 40, subject: "a"),
            message(4, date: 30, subject: "c"),
            message(5, date: 20, subject: "fwd: a"),
            message(6, date: 60, subject: "[list] c"),
            message(7, date: 40, subject: "A"),
        ]
        #expect(IMAPThreader.orderedSubject(messages).text() == "(2 (5)(3)(7))(4 6)(1)")
    }

    private func references(_ messages: [IMAPSortKeys]) -> String {
        IMAPThreader.references(messages).text()
    }

    @Test("REFERENCES: chains and siblings from References, children by sent date")
    func referenceChains() {
        let messages = [
            message(1, date: 10, subject: "one", id: "a@x"),
            message(2, date: 30, subject: "Re: one", id: "b@x", references: ["a@x"]),
            message(3, date: 20, subject: "Re: one", id: "c@x", references: ["a@x"]),
            message(4, date: 40, subject: "Re: one", id: "d@x", references: ["a@x", "b@x"]),
            message(5, date: 5, subject: "two", id: "e@x"),
        ]
        #expect(references(messages) == "(5)(1 (3)(2 4))")
    }

    @Test("REFERENCES: In-Reply-To-only replies, absent parents as dummies, a lone dummy child promoted")
    func dummies() {
        // 2 and 3 answer a message that is not in the mailbox: a dummy parent holds both.
        #expect(references([
            message(1, date: 1, subject: "other", id: "o@x"),
            message(2, date: 30, subject: "Re: gone", id: "b@x", references: ["gone@x"]),
            message(3, date: 20, subject: "Re: gone", id: "c@x", references: ["gone@x"]),
        ]) == "(1)((3)(2))")
        // A single reply to an absent message stands alone; so does a dummy chain of one.
        #expect(references([
            message(1, date: 1, subject: "Re: gone", id: "b@x", references: ["gone@x", "gone2@x"]),
        ]) == "(1)")
        // A dummy in the middle of a chain disappears; its child moves up.
        #expect(references([
            message(1, date: 1, subject: "root", id: "a@x"),
            message(2, date: 2, subject: "Re: root", id: "c@x", references: ["a@x", "missing@x"]),
        ]) == "(1 2)")
    }

    @Test("REFERENCES: a top-level dummy sorts by its first child; threads gather by subject (step 5)")
    func subjectMerging() {
        // A reply without references joins the original by subject.
        #expect(references([
            message(1, date: 10, subject: "Hello", id: "a@x"),
            message(2, date: 20, subject: "Re: hello", id: "b@x"),
        ]) == "(1 2)")
        // Two originals with one subject: a new dummy holds both.
        #expect(references([
            message(1, date: 10, subject: "Hello", id: "a@x"),
            message(2, date: 20, subject: "hello", id: "b@x"),
        ]) == "((1)(2))")
        // The original comes after the reply in date: still the parent (the reply joins it).
        #expect(references([
            message(1, date: 10, subject: "Re: Hello", id: "a@x"),
            message(2, date: 20, subject: "Hello", id: "b@x"),
        ]) == "(2 1)")
        // A thread whose root is a dummy takes in a same-subject message.
        #expect(references([
            message(1, date: 10, subject: "Re: topic", id: "b@x", references: ["gone@x"]),
            message(2, date: 20, subject: "Re: topic", id: "c@x", references: ["gone@x"]),
            message(3, date: 5, subject: "topic", id: "d@x"),
        ]) == "((3)(1)(2))")
        // Empty subjects are never gathered.
        #expect(references([message(1, date: 1, id: "a@x"), message(2, date: 2, id: "b@x")]) == "(1)(2)")
    }

    @Test("REFERENCES: missing and duplicate Message-IDs, reference loops and self-references")
    func brokenHeaders() {
        // No Message-ID: it still threads below what it references, and nothing can reference it.
        #expect(references([
            message(1, date: 1, subject: "a", id: "a@x"),
            message(2, date: 2, subject: "b", references: ["a@x"]),
        ]) == "(1 2)")
        // A duplicate Message-ID belongs to the first message only; the copy stands alone.
        #expect(references([
            message(1, date: 1, subject: "first", id: "a@x"),
            message(2, date: 2, subject: "copy", id: "a@x"),
            message(3, date: 3, subject: "reply", id: "c@x", references: ["a@x"]),
        ]) == "(1 3)(2)")
        // Each references the other: no loop is made.
        let loop = references([
            message(1, date: 1, subject: "x1", id: "a@x", references: ["b@x"]),
            message(2, date: 2, subject: "x2", id: "b@x", references: ["a@x"]),
        ])
        #expect(loop == "(2 1)")
        // A message that references itself, and a References chain that repeats.
        #expect(references([
            message(1, date: 1, subject: "self", id: "a@x", references: ["a@x"]),
            message(2, date: 2, subject: "rep", id: "b@x", references: ["a@x", "a@x", "b@x", "a@x"]),
        ]) == "(1 2)")
    }

    @Test("REFERENCES: a truncated References gives way to the last reference (step 1B)")
    func truncatedReferences() {
        // 3 names only its direct parent 2; 2 names 1. Message 4 claims 3's parent is 1 (References
        // truncated by its client): 3 keeps its parent from its own header.
        #expect(references([
            message(1, date: 1, subject: "s", id: "a@x"),
            message(2, date: 2, subject: "Re: s", id: "b@x", references: ["a@x"]),
            message(3, date: 3, subject: "Re: s", id: "c@x", references: ["b@x"]),
            message(4, date: 4, subject: "Re: s", id: "d@x", references: ["a@x", "c@x"]),
        ]) == "(1 2 3 4)")
        // The reply arrives first and names a parent chain; when the parent arrives its own header
        // (no references) makes it a root again.
        #expect(references([
            message(1, date: 3, subject: "Re: s", id: "c@x", references: ["z@x", "b@x"]),
            message(2, date: 2, subject: "s", id: "b@x"),
        ]) == "(2 1)")
    }

    @Test("REFERENCES and rendering handle a reply chain 50,000 deep without recursion")
    func deepChain() {
        let count: UInt32 = 50_000
        let messages = (1...count).map { n in
            message(n, date: Int64(n), subject: "Re: deep", id: "m\(n)@x", references: n > 1 ? ["m\(n - 1)@x"] : [])
        }
        let text = references(messages)
        #expect(text.hasPrefix("(1 2 3 "))
        #expect(text.hasSuffix(" 49999 50000)"))
    }
}
