import IMAP
import Testing

/// QRESYNC (RFC 7162 §3.2) over a real Maildir: resynchronising SELECT, UID FETCH (VANISHED),
/// VANISHED instead of EXPUNGE, and [CLOSED].
@Suite(.serialized) struct QResyncTests {
    static func value(_ marker: String, in text: String) -> UInt64? {
        guard let range = text.range(of: marker) else { return nil }
        return UInt64(text[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("a client away while another session flagged and expunged gets exactly those changes on SELECT (QRESYNC ...)")
    func resynchronisingSelect() throws {
        let (backend, first) = try IMAPHarness.loggedIn()
        defer { first.close(); backend.remove() }
        for index in 1...5 { try backend.deliver("Subject: \(index)\n\nx\n") }
        #expect(try first.send("a ENABLE QRESYNC\r\n") == "* ENABLED QRESYNC\r\na OK ENABLE completed.\r\n")
        let select = try first.send("b SELECT INBOX\r\n")
        let validity = try #require(Self.value("[UIDVALIDITY ", in: select))
        let modSeq = try #require(Self.value("[HIGHESTMODSEQ ", in: select))
        _ = try first.send("c LOGOUT\r\n")

        // Meanwhile another client flags 2 and expunges 3 and 4.
        let other = try IMAPHarness(backend: backend)
        defer { other.close() }
        try other.login()
        _ = try other.send("a SELECT INBOX\r\n")
        _ = try other.send("b STORE 2 +FLAGS (\\Flagged)\r\n")
        _ = try other.send("c STORE 3:4 +FLAGS (\\Deleted)\r\n")
        _ = try other.send("d EXPUNGE\r\n")

        let back = try IMAPHarness(backend: backend)
        defer { back.close() }
        try back.login()
        _ = try back.send("a ENABLE QRESYNC\r\n")
        let resync = try back.send("b SELECT INBOX (QRESYNC (\(validity) \(modSeq) 1:5))\r\n")
        #expect(resync.contains("* 3 EXISTS\r\n"), "\(resync)")
        #expect(resync.contains("* VANISHED (EARLIER) 3:4\r\n"), "\(resync)")
        #expect(resync.contains("* 2 FETCH (UID 2 FLAGS (\\Flagged) MODSEQ ("), "\(resync)")
        #expect(!resync.contains("* 1 FETCH") && !resync.contains("UID 5 "), "unchanged messages are not sent: \(resync)")
        #expect(resync.hasSuffix("b OK [READ-WRITE] SELECT completed.\r\n"))
        // A wrong UIDVALIDITY: no resynchronisation data at all.
        let stale = try back.send("c EXAMINE INBOX (QRESYNC (\(validity + 1) \(modSeq)))\r\n")
        #expect(stale.hasPrefix("* OK [CLOSED] Previous mailbox closed.\r\n"), "\(stale)")
        #expect(!stale.contains("VANISHED") && !stale.contains("FETCH"), "\(stale)")
    }

    @Test("VANISHED (EARLIER) names only what was expunged after the client's modseq, not what went before")
    func exactVanished() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...6 { try backend.deliver("Subject: \(index)\n\nx\n") }
        _ = try session.send("a ENABLE QRESYNC\r\n")
        let select = try session.send("b SELECT INBOX\r\n")
        let validity = try #require(Self.value("[UIDVALIDITY ", in: select))
        // UIDs 2 and 3 go before the modseq the client keeps, UID 5 after it.
        _ = try session.send("c STORE 2:3 +FLAGS.SILENT (\\Deleted)\r\n")
        #expect(try session.send("d EXPUNGE\r\n").contains("d OK"))
        let status = try session.send("e STATUS INBOX (HIGHESTMODSEQ)\r\n")
        let modSeq = try #require(Self.value("HIGHESTMODSEQ ", in: status))
        _ = try session.send("f UID STORE 5 +FLAGS.SILENT (\\Deleted)\r\n")
        _ = try session.send("g EXPUNGE\r\n")

        let back = try IMAPHarness(backend: backend)
        defer { back.close() }
        try back.login()
        _ = try back.send("a ENABLE QRESYNC\r\n")
        let resync = try back.send("b SELECT INBOX (QRESYNC (\(validity) \(modSeq) 1:6))\r\n")
        #expect(resync.contains("* VANISHED (EARLIER) 5\r\n"), "2 and 3 went before modseq \(modSeq): \(resync)")
        _ = try back.send("c UID STORE 1 +FLAGS.SILENT (\\Seen)\r\n")
        let fetch = try back.send("d UID FETCH 1:* (FLAGS) (CHANGEDSINCE \(modSeq) VANISHED)\r\n")
        #expect(fetch.hasPrefix("* VANISHED (EARLIER) 5\r\n"), "\(fetch)")
        // A modseq from before anything this index remembers: every UID the mailbox lacks.
        let old = try back.send("e UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n")
        #expect(old.hasPrefix("* VANISHED (EARLIER) 2:3,5\r\n"), "\(old)")
    }

    @Test("with QRESYNC, expunges are VANISHED; UID FETCH (CHANGEDSINCE n VANISHED) reports the gone UIDs first")
    func vanished() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...4 { try backend.deliver("Subject: \(index)\n\nx\n") }
        #expect(try session.send("a SELECT INBOX (QRESYNC (1 1))\r\n").hasPrefix("a BAD "), "QRESYNC must be enabled first")
        _ = try session.send("b ENABLE QRESYNC\r\n")
        let select = try session.send("c SELECT INBOX\r\n")
        let modSeq = try #require(Self.value("[HIGHESTMODSEQ ", in: select))
        _ = try session.send("d STORE 2,4 +FLAGS.SILENT (\\Deleted)\r\n")
        #expect(try session.send("e EXPUNGE\r\n") == "* VANISHED 2,4\r\ne OK EXPUNGE completed.\r\n")
        #expect(try session.send("f UID STORE 3 +FLAGS.SILENT (\\Seen)\r\n").contains("f OK"))
        let fetch = try session.send("g UID FETCH 1:* (FLAGS) (CHANGEDSINCE \(modSeq) VANISHED)\r\n")
        #expect(fetch.hasPrefix("* VANISHED (EARLIER) 2,4\r\n"), "\(fetch)")
        #expect(fetch.contains("* 2 FETCH (UID 3 FLAGS (\\Seen \\Recent) MODSEQ ("), "\(fetch)")
        #expect(!fetch.contains("UID 1 "), "\(fetch)")
        #expect(try session.send("h FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n").hasPrefix("h BAD "), "UID FETCH only")
        #expect(try session.send("i UID FETCH 1 (FLAGS) (VANISHED)\r\n").hasPrefix("i BAD "), "VANISHED needs CHANGEDSINCE")
    }

    @Test("another session's expunge reaches a QRESYNC client as VANISHED, and nothing is announced during a FETCH")
    func announcedVanished() throws {
        let (backend, first) = try IMAPHarness.loggedIn()
        defer { first.close(); backend.remove() }
        for index in 1...3 { try backend.deliver("Subject: \(index)\n\nx\n") }
        let second = try IMAPHarness(backend: backend)
        defer { second.close() }
        try second.login()
        _ = try first.send("a ENABLE QRESYNC\r\n")
        _ = try first.send("b SELECT INBOX\r\n")
        _ = try second.send("a SELECT INBOX\r\n")
        _ = try second.send("b STORE 1 +FLAGS (\\Flagged)\r\n")
        _ = try second.send("c STORE 2 +FLAGS.SILENT (\\Deleted)\r\n")
        _ = try second.send("d EXPUNGE\r\n")
        // During a FETCH, the expunge may not be told, so neither is the flag change after it.
        #expect(try first.send("c FETCH 3 (UID)\r\n") == "* 3 FETCH (UID 3)\r\nc OK FETCH completed.\r\n")
        let noop = try first.send("d NOOP\r\n")
        #expect(noop.contains("* VANISHED 2\r\n") && !noop.contains("EXPUNGE"), "\(noop)")
        #expect(noop.contains("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent) MODSEQ ("), "\(noop)")
        let move = try first.send("e MOVE 1 Trash\r\n")
        #expect(move.contains("* VANISHED 1\r\n") && !move.contains("EXPUNGE"), "\(move)")
    }
}
