import IMAP
import Testing

/// IMAP4rev2 (RFC 9051) beside IMAP4rev1: both advertised, rev2 behaviour after ENABLE IMAP4rev2.
@Suite struct IMAP4rev2Tests {
    @Test("both revisions are advertised; IMAP4rev1 behaviour until ENABLE IMAP4rev2")
    func advertisedAndEnabled() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver("Subject: a\n\nx\n")
        #expect(try session.send("a CAPABILITY\r\n").contains("* CAPABILITY IMAP4rev1 IMAP4rev2 "))
        let rev1 = try session.send("b SELECT INBOX\r\n")
        #expect(rev1.contains("* 1 RECENT\r\n") && rev1.contains("* OK [UNSEEN 1]") && !rev1.contains("* LIST"), "\(rev1)")
        #expect(try session.send("c SEARCH ALL\r\n").contains("* SEARCH 1\r\n"))
        #expect(try session.send("d ENABLE IMAP4rev2\r\n") == "* ENABLED IMAP4rev2\r\nd OK ENABLE completed.\r\n")
        #expect(try session.send("e ENABLE IMAP4rev2\r\n") == "* ENABLED\r\ne OK ENABLE completed.\r\n")
    }

    @Test("SELECT sends LIST and CLOSED, no RECENT or UNSEEN; new mail comes as EXISTS alone")
    func select() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver("Subject: a\n\nx\n")
        _ = try session.send("a ENABLE IMAP4rev2\r\n")
        _ = try session.send("b CREATE Archive.2026 (USE (\\Archive))\r\n")
        let select = try session.send("c SELECT INBOX\r\n")
        #expect(select.contains("* 1 EXISTS\r\n* LIST (\\HasNoChildren) \".\" \"INBOX\"\r\n"), "\(select)")
        #expect(!select.contains("RECENT") && !select.contains("UNSEEN"), "\(select)")
        #expect(select.contains("* OK [UIDVALIDITY ") && select.contains("* OK [UIDNEXT 2]"))
        let archive = try session.send("d EXAMINE Archive\r\n")
        #expect(archive.hasPrefix("* OK [CLOSED]"), "RFC 9051 §6.3.2: the previous mailbox is closed first")
        #expect(archive.contains("* LIST (\\HasChildren \\Archive) \".\" \"Archive\"\r\n"), "\(archive)")
        _ = try session.send("e SELECT INBOX\r\n")
        try backend.deliver("Subject: b\n\nx\n")
        let noop = try session.send("f NOOP\r\n")
        #expect(noop == "* 2 EXISTS\r\nf OK NOOP completed.\r\n", "\(noop)")
        #expect(try session.send("g FETCH 2 (FLAGS)\r\n").contains("* 2 FETCH (FLAGS ())"), "no \\Recent in IMAP4rev2")
    }

    @Test("SEARCH answers with ESEARCH, also when nothing matches; UID SEARCH says UID")
    func searchIsExtended() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for subject in ["a", "b", "a"] { try backend.deliver("Subject: \(subject)\n\nx\n") }
        _ = try session.send("a ENABLE IMAP4rev2\r\n")
        _ = try session.send("b SELECT INBOX\r\n")
        #expect(try session.send("c SEARCH SUBJECT a\r\n") == "* ESEARCH (TAG \"c\") ALL 1,3\r\nc OK SEARCH completed.\r\n")
        #expect(try session.send("d UID SEARCH SUBJECT zzz\r\n") == "* ESEARCH (TAG \"d\") UID\r\nd OK SEARCH completed.\r\n")
        #expect(try session.send("e SEARCH RETURN (COUNT) ALL\r\n").contains("* ESEARCH (TAG \"e\") COUNT 3\r\n"))
        #expect(try session.send("f SEARCH CHARSET UTF-8 SUBJECT \"a\"\r\n").contains("ALL 1,3"), "rev2 keeps CHARSET")
    }

    @Test("mailbox names are UTF-8 after ENABLE IMAP4rev2")
    func utf8Names() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        _ = try session.send("a CREATE \"&ZeVnLIqe-\"\r\n")  // 日本語 in modified UTF-7
        _ = try session.send("b ENABLE IMAP4rev2\r\n")
        #expect(try session.send("c LIST \"\" \"*\"\r\n").contains(" \".\" \"日本語\"\r\n"))
        #expect(try session.send("d RENAME \"日本語\" \"Ελληνικά\"\r\n").hasPrefix("d OK"))
        #expect(try session.send("e STATUS \"Ελληνικά\" (MESSAGES)\r\n").contains("* STATUS \"Ελληνικά\" (MESSAGES 0)"))
        #expect(try session.send("f SELECT \"Ελληνικά\"\r\n").contains("* LIST (\\HasNoChildren) \".\" \"Ελληνικά\"\r\n"))
    }

    @Test("withholding IMAP4rev2, or an extension it includes, keeps the session on IMAP4rev1")
    func withheld() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        for withheld in [["IMAP4REV2"], ["MOVE"]] {
            let session = try IMAPHarness(backend: backend, withheld: Set(withheld))
            defer { session.close() }
            try session.login()
            #expect(!(try session.send("a CAPABILITY\r\n").contains("IMAP4rev2")), "\(withheld)")
            #expect(try session.send("b ENABLE IMAP4rev2\r\n") == "* ENABLED\r\nb OK ENABLE completed.\r\n")
        }
    }
}
