import IMAP
import Testing

/// SEARCHRES (RFC 5182): `SEARCH RETURN (SAVE)` keeps a result that later commands name as `$`.
@Suite struct SearchResTests {
    @Test("SAVE alone answers no ESEARCH; $ then names the result in FETCH, STORE, UID SEARCH and COPY")
    func savedAndUsed() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...6 { try backend.deliver("Subject: \(index % 2 == 0 ? "even" : "odd") \(index)\n\nx\n") }
        #expect(try session.send("c0 CAPABILITY\r\n").contains(" SEARCHRES"))
        _ = try session.send("a SELECT INBOX\r\n")
        #expect(try session.send("b SEARCH RETURN (SAVE) SUBJECT even\r\n") == "b OK SEARCH completed.\r\n")
        let fetch = try session.send("c FETCH $ (UID)\r\n")
        #expect(fetch == "* 2 FETCH (UID 2)\r\n* 4 FETCH (UID 4)\r\n* 6 FETCH (UID 6)\r\nc OK FETCH completed.\r\n", "\(fetch)")
        #expect(try session.send("d UID SEARCH UID $ NOT 4\r\n").contains("* SEARCH 2 6\r\n"))
        #expect(try session.send("e STORE $ +FLAGS.SILENT (\\Flagged)\r\n").contains("e OK"))
        #expect(try session.send("f SEARCH FLAGGED\r\n").contains("* SEARCH 2 4 6\r\n"))
        // An expunged message leaves the saved result.
        _ = try session.send("g STORE 4 +FLAGS.SILENT (\\Deleted)\r\n")
        _ = try session.send("h EXPUNGE\r\n")
        #expect(try session.send("i UID FETCH $ (FLAGS)\r\n").contains("UID 6"))
        #expect(try session.send("j SEARCH $\r\n").contains("* SEARCH 2 5\r\n"), "UIDs 2 and 6 are now 2 and 5")
        #expect(try session.send("k COPY $ Trash\r\n").contains("k OK [COPYUID "))
    }

    @Test("with MIN and MAX only those are saved; with other options ESEARCH comes too; a new SELECT empties $")
    func minMaxAndReset() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...5 { try backend.deliver("Subject: \(index)\n\nx\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        let both = try session.send("b UID SEARCH RETURN (SAVE MIN MAX) ALL\r\n")
        #expect(both.contains("* ESEARCH (TAG \"b\") UID MIN 1 MAX 5\r\n"), "\(both)")
        #expect(try session.send("c FETCH $ (UID)\r\n") == "* 1 FETCH (UID 1)\r\n* 5 FETCH (UID 5)\r\nc OK FETCH completed.\r\n")
        _ = try session.send("d SEARCH RETURN (SAVE ALL) 2:3\r\n")
        #expect(try session.send("e SEARCH $\r\n").contains("* SEARCH 2 3\r\n"))
        _ = try session.send("f SELECT INBOX\r\n")
        #expect(try session.send("g FETCH $ (UID)\r\n") == "g OK FETCH completed.\r\n", "an empty $ is no error")
        #expect(try session.send("h FETCH $,1 (UID)\r\n").hasPrefix("h BAD"), "$ stands alone (RFC 5182 §4)")
    }

    @Test("a SEARCH ... SAVE that fails empties $")
    func failedSearchEmpties() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...3 { try backend.deliver("Subject: \(index)\n\nx\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        _ = try session.send("b SEARCH RETURN (SAVE) ALL\r\n")
        #expect(try session.send("c SEARCH RETURN (SAVE) CHARSET KOI8-R SUBJECT x\r\n").hasPrefix("c NO [BADCHARSET"))
        #expect(try session.send("d FETCH $ (UID)\r\n") == "d OK FETCH completed.\r\n")
    }
}

@Suite struct SortSearchResTests {
    @Test("SORT RETURN (SAVE MIN) keeps the first message of the sort; SORT and THREAD take $ in their criteria")
    func sortSaves() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for subject in ["b", "c", "a", "d"] { try backend.deliver("Subject: \(subject)\n\nx\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        let sorted = try session.send("b SORT RETURN (SAVE MIN) (SUBJECT) UTF-8 ALL\r\n")
        #expect(sorted.contains("* ESEARCH (TAG \"b\") MIN 3\r\n"), "\(sorted)")
        #expect(try session.send("c FETCH $ (UID)\r\n") == "* 3 FETCH (UID 3)\r\nc OK FETCH completed.\r\n")
        _ = try session.send("d SEARCH RETURN (SAVE) 1:2\r\n")
        #expect(try session.send("e SORT (REVERSE SUBJECT) UTF-8 $\r\n").contains("* SORT 2 1\r\n"))
        #expect(try session.send("f THREAD ORDEREDSUBJECT UTF-8 $\r\n").contains("* THREAD (1)(2)\r\n"))
    }
}
