import Foundation
import IMAP
import MailStore
import Testing

/// QUOTA (RFC 9208) over a real Maildir: one root `""` for all folders, OVERQUOTA on APPEND and COPY.
@Suite(.serialized) struct QuotaSessionTests {
    static func session(quota: QuotaLimits, messages: Int = 0, withheld: Set<String> = [])
        throws -> (TemporaryMailBackend, IMAPHarness) {
        let backend = try TemporaryMailBackend(quota: quota)
        for index in 0..<messages { try backend.deliver("Subject: \(index)\n\nx\n") }
        let session = try IMAPHarness(backend: backend, withheld: withheld)
        try session.login()
        return (backend, session)
    }

    @Test("CAPABILITY lists QUOTA and both resources; withholding QUOTA hides all three and refuses its commands")
    func capabilities() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(messages: 10))
        defer { backend.remove(); session.close() }
        #expect(try session.send("c CAPABILITY\r\n").contains(" QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE"))
        #expect(try !session.send("c CAPABILITY\r\n").contains("QUOTASET"))

        let (other, withheld) = try Self.session(quota: QuotaLimits(messages: 10), withheld: ["QUOTA"])
        defer { other.remove(); withheld.close() }
        #expect(try !withheld.send("c CAPABILITY\r\n").contains("QUOTA"))
        #expect(try withheld.send("q GETQUOTAROOT INBOX\r\n") == "q BAD QUOTA is not offered on this connection.\r\n")
        #expect(try withheld.send("s STATUS INBOX (DELETED-STORAGE)\r\n") == "s BAD QUOTA is not offered on this connection.\r\n")
        #expect(try withheld.send("n NOOP\r\n") == "n OK NOOP completed.\r\n")
    }

    @Test("a user who is not offered QUOTA=RES-STORAGE hears only of messages, and gets no DELETED-STORAGE")
    func oneResourceWithheld() throws {
        let backend = try TemporaryMailBackend(withheldForUser: ["QUOTA=RES-STORAGE"], quota: QuotaLimits(storage: 4096, messages: 9))
        defer { backend.remove() }
        try backend.deliver("Subject: 1\n\nx\n")
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        try session.login()
        let capabilities = try session.send("c CAPABILITY\r\n")
        #expect(capabilities.contains(" QUOTA QUOTA=RES-MESSAGE") && !capabilities.contains("RES-STORAGE"))
        #expect(try session.send("q GETQUOTA \"\"\r\n") == "* QUOTA \"\" (MESSAGE 1 9)\r\nq OK GETQUOTA completed.\r\n")
        #expect(try session.send("s STATUS INBOX (DELETED-STORAGE)\r\n") == "s BAD QUOTA=RES-STORAGE is not offered on this connection.\r\n")
        #expect(try session.send("l LIST \"\" INBOX RETURN (STATUS (DELETED-STORAGE))\r\n").hasPrefix("l BAD QUOTA=RES-STORAGE"))
    }

    @Test("GETQUOTAROOT names the root \"\" with usage and limits; GETQUOTA reads it; SETQUOTA is refused")
    func readingTheQuota() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(storage: 10 * 1024, messages: 100), messages: 3)
        defer { backend.remove(); session.close() }
        #expect(try session.send("a GETQUOTAROOT INBOX\r\n")
            == "* QUOTAROOT \"INBOX\" \"\"\r\n* QUOTA \"\" (STORAGE 1 10 MESSAGE 3 100)\r\na OK GETQUOTAROOT completed.\r\n")
        _ = try session.send("c CREATE Archive\r\n")
        #expect(try session.send("b GETQUOTAROOT Archive\r\n")
            == "* QUOTAROOT \"Archive\" \"\"\r\n* QUOTA \"\" (STORAGE 1 10 MESSAGE 3 100)\r\nb OK GETQUOTAROOT completed.\r\n")
        #expect(try session.send("d GETQUOTA \"\"\r\n") == "* QUOTA \"\" (STORAGE 1 10 MESSAGE 3 100)\r\nd OK GETQUOTA completed.\r\n")
        #expect(try session.send("e GETQUOTA user.bob\r\n") == "e NO [NONEXISTENT] No such quota root.\r\n")
        #expect(try session.send("f GETQUOTAROOT Nowhere\r\n").hasPrefix("f NO [NONEXISTENT]"))
        #expect(try session.send("g SETQUOTA \"\" (STORAGE 99999)\r\n") == "g NO [NOPERM] Quotas are set by the administrator.\r\n")
        #expect(try session.send("h GETQUOTA \"\"\r\n").contains("(STORAGE 1 10 MESSAGE 3 100)"))
    }

    @Test("a user without limits has no quota root")
    func noLimits() throws {
        let (backend, session) = try Self.session(quota: .unlimited, messages: 1)
        defer { backend.remove(); session.close() }
        #expect(try session.send("a GETQUOTAROOT INBOX\r\n") == "* QUOTAROOT \"INBOX\"\r\na OK GETQUOTAROOT completed; no quota applies.\r\n")
        #expect(try session.send("b GETQUOTA \"\"\r\n") == "b NO [NONEXISTENT] No such quota root.\r\n")
        #expect(try session.send("c APPEND INBOX {3+}\r\nx\r\n\r\n").contains("c OK [APPENDUID"))
    }

    @Test("APPEND past the message limit gets NO [OVERQUOTA] before any upload; after EXPUNGE it fits again")
    func appendOverMessageLimit() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(messages: 3), messages: 2)
        defer { backend.remove(); session.close() }
        #expect(try session.send("a APPEND INBOX {3}\r\n") == "+ Ready for literal data\r\n")
        #expect(try session.send("x\r\n\r\n").contains("a OK [APPENDUID"))
        let before = backend.messageFiles()
        // Refused before the "+": the client never sends the message.
        #expect(try session.send("b APPEND INBOX {3}\r\n") == "b NO [OVERQUOTA] APPEND failed: over quota (3 of 3 messages).\r\n")
        // A non-synchronizing literal arrives anyway and is dropped.
        #expect(try session.send("c APPEND INBOX {3+}\r\nx\r\n\r\n").hasPrefix("c NO [OVERQUOTA]"))
        #expect(backend.messageFiles() == before)
        #expect(try session.send("n NOOP\r\n") == "n OK NOOP completed.\r\n")

        _ = try session.send("s SELECT INBOX\r\n")
        _ = try session.send("t STORE 1 +FLAGS.SILENT (\\Deleted)\r\n")
        #expect(try session.send("e EXPUNGE\r\n").contains("e OK"))
        #expect(try session.send("d APPEND INBOX {3+}\r\nx\r\n\r\n").contains("d OK [APPENDUID"))
        #expect(try session.send("q GETQUOTA \"\"\r\n").contains("(MESSAGE 3 3)"))
    }

    @Test("a MULTIAPPEND whose messages fit one by one but not together gets NO [OVERQUOTA] and stores none")
    func multiAppendOverQuota() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(messages: 3), messages: 1)
        defer { backend.remove(); session.close() }
        let message = "Subject: m\r\n\r\nx\r\n"
        #expect(try session.send("a APPEND INBOX {\(message.utf8.count)}\r\n") == "+ Ready for literal data\r\n")
        #expect(try session.send(message + " {\(message.utf8.count)}\r\n") == "+ Ready for literal data\r\n")
        // The third would make four messages: refused before its upload, and the first two go too.
        let third = try session.send(message + " {\(message.utf8.count)}\r\n")
        #expect(third.hasPrefix("a NO [OVERQUOTA]"), "\(third)")
        #expect(backend.messageFiles().count == 1)
        #expect(try session.send("b APPEND INBOX {\(message.utf8.count)+}\r\n\(message)\r\n").contains("b OK [APPENDUID"),
                "the session goes on, and one more message still fits")
    }

    @Test("APPEND past the storage limit is refused; a message that fits exactly is taken")
    func appendOverStorageLimit() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(storage: 2048), messages: 0)
        defer { backend.remove(); session.close() }
        let exact = String(repeating: "y", count: 2048)
        #expect(try session.send("a APPEND INBOX {2048+}\r\n\(exact)\r\n").contains("a OK [APPENDUID"))
        #expect(try session.send("q GETQUOTA \"\"\r\n").contains("(STORAGE 2 2)"))
        #expect(try session.send("b APPEND INBOX {1}\r\n") == "b NO [OVERQUOTA] APPEND failed: over quota (2 of 2 KiB used).\r\n")
    }

    @Test("COPY that does not fit gets NO [OVERQUOTA] and stores nothing; MOVE is never refused for the quota")
    func copyAndMove() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(messages: 4), messages: 3)
        defer { backend.remove(); session.close() }
        _ = try session.send("c CREATE Archive\r\n")
        _ = try session.send("s SELECT INBOX\r\n")
        #expect(try session.send("a COPY 1 Archive\r\n").contains("a OK [COPYUID"))
        let before = backend.messageFiles()
        #expect(try session.send("b COPY 1:2 Archive\r\n") == "b NO [OVERQUOTA] COPY failed: over quota (4 of 4 messages).\r\n")
        #expect(try session.send("c UID COPY 1 Archive\r\n").hasPrefix("c NO [OVERQUOTA]"))
        #expect(backend.messageFiles() == before)
        #expect(try session.send("d MOVE 1:2 Archive\r\n").contains("d OK MOVE completed."))
        #expect(try session.send("q GETQUOTA \"\"\r\n").contains("(MESSAGE 4 4)"))
        // A missing target is still TRYCREATE, not a quota answer.
        #expect(try session.send("e COPY 1 Nowhere\r\n").hasPrefix("e NO [TRYCREATE]"))
    }

    @Test("STATUS DELETED-STORAGE sums the sizes of the \\Deleted messages")
    func deletedStorage() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(messages: 10), messages: 3)
        defer { backend.remove(); session.close() }
        _ = try session.send("s SELECT INBOX\r\n")
        #expect(try session.send("a STATUS INBOX (DELETED DELETED-STORAGE)\r\n").hasPrefix("* STATUS \"INBOX\" (DELETED 0 DELETED-STORAGE 0)\r\n"))
        _ = try session.send("t STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n")
        // RFC822.SIZE counts LF as CRLF: "Subject: n\n\nx\n" is 14 bytes on disk, 17 on the wire.
        #expect(try session.send("b STATUS INBOX (DELETED DELETED-STORAGE)\r\n").hasPrefix("* STATUS \"INBOX\" (DELETED 2 DELETED-STORAGE 34)\r\n"))
    }

    @Test("mail delivered behind the session's back counts at the next check")
    func externalDelivery() throws {
        let (backend, session) = try Self.session(quota: QuotaLimits(messages: 5), messages: 1)
        defer { backend.remove(); session.close() }
        #expect(try session.send("a GETQUOTA \"\"\r\n").contains("(MESSAGE 1 5)"))
        // As Loft's SMTP delivery does: place the file, append a line.
        let root = backend.root
        try backend.deliver("Subject: more\n\nx\n")
        MaildirQuota.record(QuotaUsage(storage: 17, messages: 1), inFolder: root)
        #expect(try session.send("b GETQUOTA \"\"\r\n").contains("(MESSAGE 2 5)"))
    }
}
