import IMAP
import Testing

/// SORT, UID SORT, ESORT and THREAD through a session over a real temporary Maildir.
@Suite struct SortSessionTests {
    /// Four messages with chosen headers and arrival dates (see the expectations below).
    static let messages: [(arrival: String, text: String)] = [
        ("03-Jan-2020 10:00:00 +0000", """
            Date: Wed, 1 Jan 2020 10:00:00 +0000\r
            From: "Zed" <zed@example.org>\r
            Subject: Hello\r
            Message-ID: <a@example.org>\r
            \r
            one\r

            """),
        ("01-Jan-2020 10:00:00 +0000", """
            Date: Thu, 2 Jan 2020 10:00:00 +0000\r
            From: "Yvonne" <alice@example.org>\r
            Subject: Re: Hello\r
            Message-ID: <b@example.org>\r
            References: <a@example.org>\r
            \r
            two\r

            """),
        ("31-Dec-2019 10:00:00 +0000", """
            Date: not a date\r
            From: bob@example.org\r
            Subject: Another\r
            Message-ID: <c@example.org>\r
            \r
            three\r

            """),
        ("02-Jan-2020 10:00:00 +0000", """
            Date: Wed, 1 Jan 2020 12:00:00 +0200\r
            From: Carol <carol@example.org>\r
            Subject: [list] Re: =?UTF-8?Q?hello?=\r
            Message-ID: <d@example.org>\r
            In-Reply-To: <b@example.org>\r
            \r
            four\r

            """),
    ]

    private func session(withheld: Set<String> = []) throws -> (TemporaryMailBackend, IMAPHarness) {
        let backend = try TemporaryMailBackend()
        let session = try IMAPHarness(backend: backend, withheld: withheld)
        try session.login()
        for (index, message) in Self.messages.enumerated() {
            let reply = try session.send("a\(index) APPEND INBOX \"\(message.arrival)\" {\(message.text.utf8.count)+}\r\n\(message.text)\r\n")
            precondition(reply.contains("a\(index) OK"), reply)
        }
        let select = try session.send("s SELECT INBOX\r\n")
        precondition(select.contains("s OK"), select)
        return (backend, session)
    }

    @Test("SORT orders by each key as RFC 5256 §3 says: sent date (INTERNALDATE when invalid, ties by number), base subject, mailbox, arrival")
    func sortKeys() throws {
        let (backend, session) = try session()
        defer { session.close(); backend.remove() }
        // Message 3's Date: is invalid, so its INTERNALDATE (2019) counts; 1 and 4 were sent at the same instant.
        #expect(try session.send("1 SORT (DATE) UTF-8 ALL\r\n") == "* SORT 3 1 4 2\r\n1 OK SORT completed.\r\n")
        #expect(try session.send("2 SORT (REVERSE DATE) UTF-8 ALL\r\n").hasPrefix("* SORT 2 1 4 3\r\n"))
        #expect(try session.send("3 SORT (SUBJECT) US-ASCII ALL\r\n").hasPrefix("* SORT 3 1 2 4\r\n"))
        #expect(try session.send("4 SORT (FROM) UTF-8 ALL\r\n").hasPrefix("* SORT 2 3 4 1\r\n"))
        #expect(try session.send("5 SORT (DISPLAYFROM) UTF-8 ALL\r\n").hasPrefix("* SORT 3 4 2 1\r\n"))
        #expect(try session.send("6 SORT (ARRIVAL) UTF-8 ALL\r\n").hasPrefix("* SORT 3 2 4 1\r\n"))
        #expect(try session.send("7 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n").hasPrefix("* SORT 3 2 1 4\r\n"))
    }

    @Test("SORT sorts what SEARCH would find with the same criteria; nothing found is an empty SORT")
    func sortCriteria() throws {
        let (backend, session) = try session()
        defer { session.close(); backend.remove() }
        #expect(try session.send("1 SORT (DATE) UTF-8 SUBJECT hello\r\n").hasPrefix("* SORT 1 4 2\r\n"))
        #expect(try session.send("2 SORT (DATE) UTF-8 OR FROM bob 2\r\n").hasPrefix("* SORT 3 2\r\n"))
        #expect(try session.send("3 SORT (DATE) UTF-8 FLAGGED\r\n") == "* SORT\r\n3 OK SORT completed.\r\n")
        #expect(try session.send("4 SORT (DATE) UTF-8 BODY three\r\n").hasPrefix("* SORT 3\r\n"))
        // RFC 7162 §3.1.5: a sort on MODSEQ reports the highest mod-sequence of what it found.
        let modSeq = try session.send("5 SORT (DATE) UTF-8 MODSEQ 1\r\n")
        #expect(modSeq.hasPrefix("* OK [HIGHESTMODSEQ ") && modSeq.contains("* SORT 3 1 4 2 (MODSEQ "), "\(modSeq)")
        #expect(try session.send("6 THREAD REFERENCES UTF-8 MODSEQ 1\r\n").contains("* THREAD (3)(1 2 4)\r\n"))
    }

    @Test("ESORT: SORT RETURN answers with ESEARCH in sort order; UID SORT and UID THREAD report UIDs")
    func esortAndUIDs() throws {
        let (backend, session) = try session()
        defer { session.close(); backend.remove() }
        #expect(try session.send("e1 SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL\r\n")
            == "* ESEARCH (TAG \"e1\") MIN 3 MAX 2 COUNT 4 ALL 3,1,4,2\r\ne1 OK SORT completed.\r\n")
        #expect(try session.send("e2 SORT RETURN (COUNT) (DATE) UTF-8 SUBJECT hello\r\n").hasPrefix("* ESEARCH (TAG \"e2\") COUNT 3\r\n"))
        #expect(try session.send("e3 SORT RETURN () (ARRIVAL) UTF-8 ALL\r\n").hasPrefix("* ESEARCH (TAG \"e3\") ALL 3,2,4,1\r\n"))
        #expect(try session.send("e4 SORT RETURN (MIN COUNT) (DATE) UTF-8 DELETED\r\n").hasPrefix("* ESEARCH (TAG \"e4\") COUNT 0\r\n"))
        // Expunge message 1: sequence numbers move, UIDs stay (2, 3, 4 are now numbers 1, 2, 3).
        _ = try session.send("d STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\n")
        #expect(try session.send("u1 SORT (DATE) UTF-8 ALL\r\n").hasPrefix("* SORT 2 3 1\r\n"))
        #expect(try session.send("u2 UID SORT (DATE) UTF-8 ALL\r\n").hasPrefix("* SORT 3 4 2\r\n"))
        #expect(try session.send("u3 UID SORT RETURN (MIN MAX ALL) (ARRIVAL) UTF-8 ALL\r\n")
            .hasPrefix("* ESEARCH (TAG \"u3\") UID MIN 3 MAX 4 ALL 3,2,4\r\n"))
        #expect(try session.send("u4 UID THREAD ORDEREDSUBJECT UTF-8 ALL\r\n").hasPrefix("* THREAD (3)(4 2)\r\n"))
    }

    @Test("THREAD REFERENCES links by References and In-Reply-To; ORDEREDSUBJECT groups by base subject")
    func threads() throws {
        let (backend, session) = try session()
        defer { session.close(); backend.remove() }
        #expect(try session.send("t1 THREAD REFERENCES UTF-8 ALL\r\n") == "* THREAD (3)(1 2 4)\r\nt1 OK THREAD completed.\r\n")
        #expect(try session.send("t2 THREAD ORDEREDSUBJECT UTF-8 ALL\r\n").hasPrefix("* THREAD (3)(1 (4)(2))\r\n"))
        // Without message 1, 2 answers a message not searched: 2 and 4 still thread (2 then 4).
        #expect(try session.send("t3 THREAD REFERENCES UTF-8 2:4\r\n").hasPrefix("* THREAD (3)(2 4)\r\n"))
        #expect(try session.send("t4 THREAD REFERENCES UTF-8 FLAGGED\r\n") == "* THREAD\r\nt4 OK THREAD completed.\r\n")
        _ = try session.send("d STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\n")
        #expect(try session.send("t5 UID THREAD REFERENCES UTF-8 ALL\r\n").hasPrefix("* THREAD (3)(2 4)\r\n"))
        #expect(try session.send("t6 THREAD REFERENCES UTF-8 ALL\r\n").hasPrefix("* THREAD (2)(1 3)\r\n"))
    }

    @Test("errors: unknown charset is NO [BADCHARSET], bad syntax BAD, no mailbox BAD; the session goes on")
    func errors() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        try session.login()
        #expect(try session.send("n SORT (DATE) UTF-8 ALL\r\n").hasPrefix("n BAD"))
        #expect(try session.send("s SELECT INBOX\r\n").contains("s OK"))
        #expect(try session.send("c1 SORT (DATE) KOI8-R ALL\r\n") == "c1 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset.\r\n")
        #expect(try session.send("c2 THREAD REFERENCES ISO-2022-JP ALL\r\n").hasPrefix("c2 NO [BADCHARSET (US-ASCII UTF-8)]"))
        #expect(try session.send("b1 SORT (COLOUR) UTF-8 ALL\r\n").hasPrefix("b1 BAD"))
        #expect(try session.send("b2 THREAD XYZ UTF-8 ALL\r\n").hasPrefix("b2 BAD"))
        #expect(try session.send("b3 SORT RETURN (PARTIAL 1:5) (DATE) UTF-8 ALL\r\n").hasPrefix("b3 BAD"))
        #expect(try session.send("ok SORT (DATE) UTF-8 ALL\r\n") == "* SORT\r\nok OK SORT completed.\r\n")
        let capabilities = try session.send("c CAPABILITY\r\n")
        for name in ["SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"] {
            #expect(capabilities.contains(" \(name) ") || capabilities.contains(" \(name)\r\n"), "\(name)")
        }
    }

    @Test("withheld: SORT takes SORT=DISPLAY and ESORT with it; a withheld THREAD algorithm is BAD, the other works")
    func withheld() throws {
        let (backend, session) = try session(withheld: ["SORT", "THREAD=REFERENCES"])
        defer { session.close(); backend.remove() }
        let capabilities = try session.send("c CAPABILITY\r\n")
        #expect(!capabilities.contains("SORT") && !capabilities.contains("THREAD=REFERENCES"))
        #expect(capabilities.contains("THREAD=ORDEREDSUBJECT"))
        #expect(try session.send("1 SORT (DATE) UTF-8 ALL\r\n") == "1 BAD SORT is not offered on this connection.\r\n")
        #expect(try session.send("2 UID SORT RETURN (ALL) (DATE) UTF-8 ALL\r\n").hasPrefix("2 BAD"))
        #expect(try session.send("3 THREAD REFERENCES UTF-8 ALL\r\n") == "3 BAD THREAD=REFERENCES is not offered on this connection.\r\n")
        #expect(try session.send("4 THREAD ORDEREDSUBJECT UTF-8 ALL\r\n").hasPrefix("* THREAD (3)(1 (4)(2))\r\n"))
        let (backend2, display) = try self.session(withheld: ["SORT=DISPLAY", "ESORT"])
        defer { display.close(); backend2.remove() }
        #expect(try display.send("5 SORT (DISPLAYFROM) UTF-8 ALL\r\n").hasPrefix("5 BAD SORT=DISPLAY"))
        #expect(try display.send("6 SORT RETURN (COUNT) (DATE) UTF-8 ALL\r\n").hasPrefix("6 BAD ESORT"))
        #expect(try display.send("7 SORT (FROM) UTF-8 ALL\r\n").hasPrefix("* SORT 2 3 4 1\r\n"))
    }
}
