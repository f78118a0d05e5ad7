import IMAP
import Testing

/// UTF8=ACCEPT (RFC 9755, which replaced RFC 6855): after ENABLE, mailbox names are UTF-8 both
/// ways, quoted strings may hold UTF-8, and APPEND takes `UTF8 (~{n})`.
@Suite struct UTF8AcceptTests {
    @Test("after ENABLE UTF8=ACCEPT a name is created and listed in UTF-8; a session without it sees modified UTF-7")
    func namesBothWays() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        #expect(try session.send("c CAPABILITY\r\n").contains(" UTF8=ACCEPT"))
        #expect(try session.send("a CREATE \"Küche\"\r\n").hasPrefix("a BAD"), "8-bit before ENABLE is a syntax error")
        #expect(try session.send("b ENABLE UTF8=ACCEPT\r\n") == "* ENABLED UTF8=ACCEPT\r\nb OK ENABLE completed.\r\n")
        #expect(try session.send("c CREATE \"Küche\"\r\n").hasPrefix("c OK"))
        #expect(try session.send("d CREATE \"R&D\"\r\n").hasPrefix("d OK"), "& is an ordinary character in UTF-8 names")
        let list = try session.send("e LIST \"\" \"*\"\r\n")
        #expect(list.contains(" \".\" \"Küche\"\r\n") && list.contains(" \".\" \"R&D\"\r\n"), "\(list)")
        #expect(try session.send("f STATUS \"Küche\" (MESSAGES)\r\n").contains("* STATUS \"Küche\" (MESSAGES 0)"))
        #expect(try session.send("g SELECT \"Küche\"\r\n").contains("g OK [READ-WRITE]"))

        let older = try IMAPHarness(backend: backend)
        defer { older.close() }
        try older.login()
        let oldList = try older.send("h LIST \"\" \"*\"\r\n")
        #expect(oldList.contains(" \".\" \"K&APw-che\"\r\n") && oldList.contains(" \".\" \"R&-D\"\r\n"), "\(oldList)")
        #expect(try older.send("i STATUS \"K&APw-che\" (MESSAGES)\r\n").contains("i OK"))
    }

    @Test("ENABLE again reports nothing new; a withheld UTF8=ACCEPT is neither advertised nor enabled")
    func enableOnceAndWithheld() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        _ = try session.send("a ENABLE UTF8=ACCEPT\r\n")
        #expect(try session.send("b ENABLE UTF8=ACCEPT\r\n") == "* ENABLED\r\nb OK ENABLE completed.\r\n")

        let withheld = try IMAPHarness(backend: backend, withheld: ["UTF8=ACCEPT"])
        defer { withheld.close() }
        try withheld.login()
        #expect(!(try withheld.send("c CAPABILITY\r\n").contains("UTF8=ACCEPT")))
        #expect(try withheld.send("d ENABLE UTF8=ACCEPT\r\n") == "* ENABLED\r\nd OK ENABLE completed.\r\n")
        #expect(try withheld.send("e CREATE \"Küche\"\r\n").hasPrefix("e BAD"))
    }

    @Test("APPEND UTF8 (~{n}) stores the message as sent, also in a MULTIAPPEND; without ENABLE it is BAD")
    func appendUTF8() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        let message = "Subject: Grüße\r\nFrom: jörg@example.com\r\n\r\nHallo\r\n"
        let size = message.utf8.count
        #expect(try session.send("a APPEND INBOX UTF8 (~{\(size)+}\r\n\(message))\r\n").hasPrefix("a BAD"))
        _ = try session.send("b ENABLE UTF8=ACCEPT\r\n")
        #expect(try session.send("c APPEND INBOX UTF8 (~{\(size)+}\r\n\(message))\r\n").contains("c OK [APPENDUID"))
        let multi = try session.send("d APPEND INBOX (\\Seen) UTF8 (~{\(size)+}\r\n\(message)) UTF8 (~{\(size)+}\r\n\(message))\r\n")
        #expect(multi.contains("d OK [APPENDUID"), "\(multi)")
        _ = try session.send("e SELECT INBOX\r\n")
        let fetch = try session.send("f FETCH 1:3 (FLAGS BODY.PEEK[])\r\n")
        #expect(fetch.components(separatedBy: "{\(size)}\r\n\(message)").count == 4, "\(fetch)")
        #expect(fetch.contains("* 2 FETCH (FLAGS (\\Seen)"))
        // The `)` after the message is required; the session goes on after the BAD.
        #expect(try session.send("g APPEND INBOX UTF8 (~{\(size)+}\r\n\(message)\r\n").hasPrefix("g BAD"))
        #expect(try session.send("h NOOP\r\n").hasPrefix("h OK"))
        #expect(try session.send("i STATUS INBOX (MESSAGES)\r\n").contains("(MESSAGES 3)"), "the refused APPEND stored nothing")
    }

    @Test("after ENABLE UTF8=ACCEPT a SEARCH charset other than UTF-8 is BAD; UTF-8 strings search as UTF-8")
    func searchCharset() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n\nx\n")
        try backend.deliver("Subject: other\n\nx\n")
        _ = try session.send("a ENABLE UTF8=ACCEPT\r\n")
        _ = try session.send("b SELECT INBOX\r\n")
        #expect(try session.send("c SEARCH CHARSET US-ASCII ALL\r\n").hasPrefix("c BAD [BADCHARSET (UTF-8)]"))
        #expect(try session.send("d SEARCH SUBJECT \"grüße\"\r\n").contains("* SEARCH 1\r\n"))
        #expect(try session.send("e SORT (SUBJECT) ISO-8859-1 ALL\r\n").hasPrefix("e BAD [BADCHARSET"))
        #expect(try session.send("f SORT (SUBJECT) UTF-8 ALL\r\n").contains("* SORT 1 2\r\n"))
    }
}
