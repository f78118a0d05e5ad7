import Foundation
import IMAP
import Testing

/// CONDSTORE (RFC 7162 §3.1) over a real Maildir: mod-sequences in SELECT, FETCH, STORE and SEARCH.
@Suite(.serialized) struct CondStoreTests {
    /// The number in `[HIGHESTMODSEQ n]` or `MODSEQ (n)` after `marker`.
    static func number(after marker: String, in text: String) -> UInt64? {
        guard let range = text.range(of: marker) else { return nil }
        return UInt64(text[range.upperBound...].prefix { $0.isNumber })
    }

    static func selected(_ backend: TemporaryMailBackend, messages: Int) throws -> (IMAPHarness, UInt64) {
        for index in 1...messages { try backend.deliver("Subject: \(index)\n\nx\n") }
        let session = try IMAPHarness(backend: backend)
        try session.login()
        let select = try session.send("s SELECT INBOX (CONDSTORE)\r\n")
        let highest = try #require(number(after: "[HIGHESTMODSEQ ", in: select), "\(select)")
        return (session, highest)
    }

    @Test("FETCH (CHANGEDSINCE n) returns only what changed after n, with MODSEQ; MODSEQ is an item")
    func changedSince() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let (session, before) = try Self.selected(backend, messages: 3)
        defer { session.close() }
        let store = try session.send("a STORE 2 +FLAGS (\\Flagged)\r\n")
        let after = try #require(Self.number(after: "MODSEQ (", in: store), "\(store)")
        #expect(after > before)
        let changed = try session.send("b FETCH 1:* (FLAGS) (CHANGEDSINCE \(before))\r\n")
        #expect(changed == "* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (\(after)))\r\nb OK FETCH completed.\r\n")
        #expect(try session.send("c UID FETCH 1:* (FLAGS) (CHANGEDSINCE \(after))\r\n") == "c OK FETCH completed.\r\n")
        #expect(try session.send("d FETCH 2 (MODSEQ)\r\n") == "* 2 FETCH (MODSEQ (\(after)))\r\nd OK FETCH completed.\r\n")
    }

    @Test("STORE (UNCHANGEDSINCE n) leaves a message changed since alone and names it in [MODIFIED]")
    func unchangedSince() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let (session, before) = try Self.selected(backend, messages: 3)
        defer { session.close() }
        _ = try session.send("a STORE 2 +FLAGS.SILENT (\\Seen)\r\n")
        let conditional = try session.send("b STORE 1:3 (UNCHANGEDSINCE \(before)) +FLAGS.SILENT (\\Deleted)\r\n")
        #expect(conditional.hasSuffix("b OK [MODIFIED 2] Conditional STORE failed for messages changed since.\r\n"), "\(conditional)")
        #expect(conditional.contains("* 1 FETCH (MODSEQ ("), "a changed message is reported even with .SILENT: \(conditional)")
        #expect(!conditional.contains("* 2 FETCH"), "\(conditional)")
        let flags = try session.send("c FETCH 1:3 (FLAGS)\r\n")
        #expect(flags.contains("* 2 FETCH (FLAGS (\\Seen \\Recent)"), "message 2 was not changed: \(flags)")
        #expect(flags.contains("* 3 FETCH (FLAGS (\\Deleted \\Recent)"), "\(flags)")
        let uidStore = try session.send("d UID STORE 1,2 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)\r\n")
        #expect(uidStore.hasSuffix("d OK [MODIFIED 1:2] Conditional STORE failed for messages changed since.\r\n"), "\(uidStore)")
    }

    @Test("SEARCH MODSEQ reports the highest mod-sequence matched; ESEARCH too")
    func searchModSeq() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let (session, before) = try Self.selected(backend, messages: 3)
        defer { session.close() }
        let store = try session.send("a STORE 3 +FLAGS (\\Answered)\r\n")
        let after = try #require(Self.number(after: "MODSEQ (", in: store))
        #expect(try session.send("b SEARCH MODSEQ \(before + 1)\r\n") == "* SEARCH 3 (MODSEQ \(after))\r\nb OK SEARCH completed.\r\n")
        #expect(try session.send("c SEARCH RETURN (ALL) MODSEQ \"/flags/\\\\answered\" all \(before + 1)\r\n")
            == "* ESEARCH (TAG \"c\") ALL 3 MODSEQ \(after)\r\nc OK SEARCH completed.\r\n")
        #expect(try session.send("d SEARCH MODSEQ \(after + 1)\r\n") == "* SEARCH\r\nd OK SEARCH completed.\r\n")
    }

    @Test("ENABLE CONDSTORE: another session's flag change arrives with its MODSEQ; STATUS HIGHESTMODSEQ")
    func enableAndUnsolicited() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        try backend.deliver("Subject: 1\n\nx\n")
        let first = try IMAPHarness(backend: backend)
        let second = try IMAPHarness(backend: backend)
        defer { first.close(); second.close() }
        try first.login()
        try second.login()
        #expect(try first.send("a ENABLE CONDSTORE\r\n") == "* ENABLED CONDSTORE\r\na OK ENABLE completed.\r\n")
        #expect(try first.send("b ENABLE CONDSTORE\r\n") == "* ENABLED\r\nb OK ENABLE completed.\r\n")
        _ = try first.send("c SELECT INBOX\r\n")
        _ = try second.send("c SELECT INBOX\r\n")
        let store = try second.send("d STORE 1 +FLAGS (\\Flagged)\r\n")
        #expect(!store.contains("MODSEQ"), "the second session did not enable CONDSTORE: \(store)")
        let noop = try first.send("e NOOP\r\n")
        let modSeq = try #require(Self.number(after: "MODSEQ (", in: noop), "\(noop)")
        #expect(noop.contains("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent) MODSEQ (\(modSeq)))"), "\(noop)")
        #expect(try first.send("f STATUS INBOX (HIGHESTMODSEQ)\r\n").contains("* STATUS \"INBOX\" (HIGHESTMODSEQ \(modSeq))"))
    }
}
