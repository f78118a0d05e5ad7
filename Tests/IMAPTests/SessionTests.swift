import IMAP
import LineProtocol
import NIOCore
import MailStore
import Testing
import TestSupport

/// The IMAP session over a real Maildir, driven command by command on an embedded channel.
@Suite(.serialized) struct SessionTests {
    static let message = "From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: hello\n\nbody line\n"

    @Test("the greeting lists capabilities; STARTTLS ports refuse LOGIN before TLS")
    func greetingAndLoginDisabled() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let plain = try IMAPHarness(backend: backend, tlsMode: .startTLS)
        defer { plain.close() }
        let greeting = plain.output()
        #expect(greeting.hasPrefix("* OK [CAPABILITY IMAP4rev1 "))
        #expect(greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED") && !greeting.contains("AUTH="))
        #expect(try plain.send("a LOGIN alice secret\r\n") == "a NO [PRIVACYREQUIRED] Use STARTTLS before logging in.\r\n")
        #expect(try plain.send("b SELECT INBOX\r\n").hasPrefix("b BAD "))
    }

    @Test("LOGIN, SELECT and FETCH report the mailbox and CRLF sizes")
    func selectAndFetch() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver(Self.message)
        let select = try session.send("s SELECT INBOX\r\n")
        #expect(select.contains("* 1 EXISTS\r\n"))
        #expect(select.contains("* 1 RECENT\r\n"))
        #expect(select.contains("* OK [UIDVALIDITY "))
        #expect(select.contains("s OK [READ-WRITE] SELECT completed."))
        let size = Self.message.utf8.count + Self.message.filter { $0 == "\n" }.count
        let fetch = try session.send("f FETCH 1 (UID RFC822.SIZE FLAGS)\r\n")
        #expect(fetch.contains("* 1 FETCH (UID 1 RFC822.SIZE \(size) FLAGS (\\Recent))"), "\(fetch)")
        #expect(fetch.hasSuffix("f OK FETCH completed.\r\n"))
        #expect(try session.send("g FETCH 2 FLAGS\r\n").hasPrefix("g BAD "))
    }

    @Test("two sessions: EXPUNGE reaches the other only where RFC 3501 §7.4.1 allows")
    func expungeAnnouncedAtLegalPoints() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        for index in 1...3 { try backend.deliver("Subject: \(index)\n\nx\n") }
        let first = try IMAPHarness(backend: backend)
        let second = try IMAPHarness(backend: backend)
        defer { first.close(); second.close() }
        try first.login()
        try second.login()
        _ = try first.send("a SELECT INBOX\r\n")
        _ = try second.send("a SELECT INBOX\r\n")
        #expect(try first.send("b STORE 2 +FLAGS (\\Deleted)\r\n").contains("* 2 FETCH (FLAGS (\\Deleted"))
        let expunge = try first.send("c EXPUNGE\r\n")
        #expect(expunge.contains("* 2 EXPUNGE\r\nc OK"), "\(expunge)")
        // The second session is in a FETCH: no EXPUNGE may be sent, so numbers keep their
        // meaning; the expunged message cannot be fetched (RFC 2180 §4.1.2, RFC 5530).
        let fetch = try second.send("d FETCH 1:3 UID\r\n")
        #expect(fetch == "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3)\r\nd NO [EXPUNGEISSUED] Some of the messages were expunged.\r\n")
        let noop = try second.send("e NOOP\r\n")
        #expect(noop.contains("* 2 EXPUNGE\r\n"), "\(noop)")
        #expect(try second.send("f FETCH 2 UID\r\n").contains("* 2 FETCH (UID 3)"))
    }

    @Test("another session's APPEND and STORE show up as EXISTS and FETCH")
    func appendAndStoreAnnounced() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        try backend.deliver(Self.message)
        let first = try IMAPHarness(backend: backend)
        let second = try IMAPHarness(backend: backend)
        defer { first.close(); second.close() }
        try first.login()
        try second.login()
        _ = try first.send("a SELECT INBOX\r\n")
        _ = try second.send("a SELECT INBOX\r\n")
        _ = try first.send("b STORE 1 +FLAGS.SILENT (\\Flagged $Work)\r\n")
        let append = try first.send("c APPEND INBOX (\\Seen) {12+}\r\nSubject: x\r\n\r\n")
        #expect(append.contains("c OK [APPENDUID "), "\(append)")
        #expect(append.contains("* 2 EXISTS"), "\(append)")
        let noop = try second.send("d NOOP\r\n")
        #expect(noop.contains("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)"), "\(noop)")
        #expect(noop.contains("* 2 EXISTS"), "\(noop)")
        #expect(noop.contains("* 1 FETCH (UID 1 FLAGS (\\Flagged $Work))"), "\(noop)")
    }

    @Test("IDLE announces a delivery at once and ends with DONE")
    func idle() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        _ = try session.send("a SELECT INBOX\r\n")
        #expect(try session.send("b IDLE\r\n") == "+ idling\r\n")
        try backend.deliver(Self.message)
        let mailbox = try backend.registry.open(path: backend.root)
        try mailbox.refresh()
        backend.registry.release(mailbox)
        #expect(session.output().contains("* 1 EXISTS\r\n"))
        #expect(try session.send("DONE\r\n") == "b OK IDLE terminated.\r\n")
    }

    @Test("folders: CREATE, LIST with special uses, RENAME, DELETE, STATUS")
    func folders() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        #expect(try session.send("a CREATE Projekte.2026\r\n").wholeMatch(of: /a OK \[MAILBOXID \([0-9a-f]{32}\)\] CREATE completed.\r\n/) != nil)
        #expect(try session.send("b CREATE INBOX\r\n").hasPrefix("b NO [ALREADYEXISTS]"))
        let list = try session.send("c LIST \"\" \"*\"\r\n")
        #expect(list.contains("* LIST (\\HasNoChildren \\Sent) \".\" \"Sent\"\r\n"), "\(list)")
        #expect(list.contains("* LIST (\\NonExistent \\Noselect \\HasChildren) \".\" \"Projekte\"\r\n"), "\(list)")
        #expect(try session.send("d RENAME Projekte.2026 Archiv&AOQ-\r\n") == "d OK RENAME completed.\r\n")
        #expect(try session.send("e LIST \"\" \"Archiv%\"\r\n").contains("\"Archiv&AOQ-\""))
        #expect(try session.send("f STATUS Archiv&AOQ- (MESSAGES UIDNEXT)\r\n")
            .contains("* STATUS \"Archiv&AOQ-\" (MESSAGES 0 UIDNEXT 1)"))
        #expect(try session.send("g DELETE Nope\r\n").hasPrefix("g NO [NONEXISTENT]"))
        #expect(try session.send("h SELECT Nope\r\n").hasPrefix("h NO [NONEXISTENT]"))
        #expect(try session.send("i COPY 1 Nope\r\n").hasPrefix("i BAD "))
    }

    @Test("COPY and MOVE answer with COPYUID; MOVE expunges the source")
    func copyAndMove() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...3 { try backend.deliver("Subject: \(index)\n\nx\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        let copy = try session.send("b COPY 1:2 Archive\r\n")
        #expect(copy.contains("b OK [COPYUID "), "\(copy)")
        #expect(copy.hasSuffix(" 1:2 1:2] COPY completed.\r\n"), "\(copy)")
        let move = try session.send("c UID MOVE 2:3 Trash\r\n")
        #expect(move.contains("* OK [COPYUID "), "\(move)")
        #expect(move.contains("* 2 EXPUNGE\r\n* 2 EXPUNGE\r\nc OK MOVE completed."), "\(move)")
        #expect(try session.send("d COPY 1 Nowhere\r\n").hasPrefix("d NO [TRYCREATE]"))
    }
}

extension SessionTests {
    @Test("a line other than DONE ends IDLE with a tagged BAD; the session goes on")
    func idleEndedByJunk() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        #expect(try session.send("a IDLE\r\n") == "+ idling\r\n")
        #expect(try session.send("b NOOP\r\n") == "a BAD Expected DONE\r\n")
        #expect(try session.send("c NOOP\r\n") == "c OK NOOP completed.\r\n")
    }

    @Test("AUTHENTICATE PLAIN with a challenge, and * cancels")
    func authenticatePlain() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        _ = session.output()
        #expect(try session.send("a AUTHENTICATE PLAIN\r\n") == "+ \r\n")
        #expect(try session.send("*\r\n") == "a BAD Authentication cancelled.\r\n")
        #expect(try session.send("b AUTHENTICATE PLAIN\r\n") == "+ \r\n")
        // "\0alice\0secret"
        #expect(try session.send("AGFsaWNlAHNlY3JldA==\r\n").hasPrefix("b OK [CAPABILITY IMAP4rev1 "))
    }
}

extension SessionTests {
    @Test("FETCH of metadata reads no message; ENVELOPE fills the cache from the header")
    func fetchUsesCache() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver(Self.message)
        _ = try session.send("a SELECT INBOX\r\n")
        let mailbox = try backend.registry.open(path: backend.root)
        defer { backend.registry.release(mailbox) }
        _ = try session.send("b UID FETCH 1:* (FLAGS RFC822.SIZE)\r\n")
        #expect(mailbox.cachedBlob(uid: 1) == nil, "FLAGS and sizes come from the index alone")
        let envelope = try session.send("c FETCH 1 ENVELOPE\r\n")
        #expect(envelope.contains("ENVELOPE (NIL \"hello\" ((\"Bob\" NIL \"bob\" \"example.org\"))"), "\(envelope)")
        let cached = try #require(mailbox.cachedBlob(uid: 1).flatMap(IMAPMessageStructure.init(blob:)))
        #expect(cached.bodyStructure == nil)
        #expect(try session.send("d FETCH 1 BODYSTRUCTURE\r\n").contains("BODYSTRUCTURE (\"text\" \"plain\""))
        #expect(mailbox.cachedBlob(uid: 1).flatMap(IMAPMessageStructure.init(blob:))?.bodyStructure != nil)
    }
}

extension SessionTests {
    @Test("CREATE beyond the folder limit gets NO [LIMIT]; a too-long name too; the session goes on")
    func folderLimit() throws {
        let backend = try TemporaryMailBackend(limits: .init(maximumFolders: 6))  // 5 default folders
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        try session.login()
        #expect(try session.send("a CREATE One\r\n").wholeMatch(of: /a OK \[MAILBOXID \([0-9a-f]{32}\)\] CREATE completed.\r\n/) != nil)
        #expect(try session.send("b CREATE Two\r\n").hasPrefix("b NO [LIMIT] "))
        #expect(try session.send("c CREATE \(String(repeating: "x", count: 300))\r\n").hasPrefix("c NO [LIMIT] "))
        #expect(try session.send("d NOOP\r\n") == "d OK NOOP completed.\r\n")
    }
}

extension SessionTests {
    @Test("IDLE sends a keepalive every idle_keepalive, and none after DONE")
    func idleKeepalive() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        var limits = IMAPLimits()
        limits.idleKeepalive = .seconds(120)
        let session = try IMAPHarness(backend: backend, limits: limits)
        defer { session.close() }
        try session.login()
        #expect(try session.send("a IDLE\r\n") == "+ idling\r\n")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(119))
        #expect(session.output() == "")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(session.output() == "* OK Still here\r\n")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(session.output() == "* OK Still here\r\n")
        #expect(try session.send("DONE\r\n") == "a OK IDLE terminated.\r\n")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(session.output() == "")
    }
}

extension SessionTests {
    @Test("LIST-STATUS: a STATUS after each selectable mailbox listed, none for \\Noselect")
    func listStatus() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver(Self.message)
        _ = try session.send("a CREATE Top.Sub\r\n")
        let list = try session.send("b LIST \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN))\r\n")
        #expect(list.contains("* LIST (\\HasNoChildren) \".\" \"INBOX\"\r\n* STATUS \"INBOX\" (MESSAGES 1 UNSEEN 1)\r\n"), "\(list)")
        #expect(list.contains("* STATUS \"Top.Sub\" (MESSAGES 0 UNSEEN 0)"), "\(list)")
        #expect(!list.contains("* STATUS \"Top\" "), "\(list)")
        #expect(list.hasSuffix("b OK LIST completed.\r\n"))
        #expect(try session.send("c LIST \"\" \"INBOX\" RETURN (STATUS (HIGHESTMODSEQ))\r\n").contains("* STATUS \"INBOX\" (HIGHESTMODSEQ "))
    }

    @Test("CREATE-SPECIAL-USE: USE (\\Sent) shows in LIST; an unknown use gets NO [USEATTR]")
    func createSpecialUse() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        #expect(try session.send("a CREATE Outbox (USE (\\Sent))\r\n").wholeMatch(of: /a OK \[MAILBOXID \([0-9a-f]{32}\)\] CREATE completed.\r\n/) != nil)
        #expect(try session.send("b LIST \"\" Outbox\r\n").contains("* LIST (\\HasNoChildren \\Sent) \".\" \"Outbox\""))
        #expect(try session.send("c CREATE Other (USE (\\Important))\r\n").hasPrefix("c NO [USEATTR] "))
        #expect(try session.send("d CREATE Third (FOO BAR)\r\n").hasPrefix("d BAD "))
        #expect(!(try session.send("e LIST \"\" \"*\"\r\n")).contains("\"Other\""), "a refused CREATE makes nothing")
    }
}

extension SessionTests {
    @Test("ESEARCH: SEARCH RETURN (MIN MAX COUNT ALL), an empty RETURN means ALL, nothing found has COUNT 0 only")
    func extendedSearch() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...5 { try backend.deliver("Subject: \(index % 2 == 0 ? "even" : "odd")\n\nx\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        #expect(try session.send("b SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT odd\r\n")
            == "* ESEARCH (TAG \"b\") MIN 1 MAX 5 COUNT 3 ALL 1,3,5\r\nb OK SEARCH completed.\r\n")
        #expect(try session.send("c UID SEARCH RETURN () 2:4\r\n")
            == "* ESEARCH (TAG \"c\") UID ALL 2:4\r\nc OK SEARCH completed.\r\n")
        #expect(try session.send("d SEARCH RETURN (COUNT MIN) SUBJECT none\r\n")
            == "* ESEARCH (TAG \"d\") COUNT 0\r\nd OK SEARCH completed.\r\n")
        #expect(try session.send("e SEARCH RETURN (PARTIAL 1:5) ALL\r\n").hasPrefix("e BAD "), "CONTEXT=SEARCH is not offered")
        #expect(try session.send("f SEARCH SUBJECT even\r\n") == "* SEARCH 2 4\r\nf OK SEARCH completed.\r\n")
    }
}

extension SessionTests {
    @Test("a shutdown during a FETCH lets the response finish, then says BYE")
    func shutdownWaitsForTheCommand() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let body = String(repeating: "0123456789abcdef\n", count: 40_000)  // 680 KB: streamed in chunks
        try backend.deliver("Subject: big\n\n" + body)
        let runner = HeldWorkRunner()
        let session = try IMAPHarness(backend: backend, workRunner: runner)
        defer { session.close() }
        _ = session.output()
        func settle() -> String {
            var text = session.output()
            while runner.hasPending {
                runner.runNext()
                text += session.output()
            }
            return text
        }
        try session.channel.writeInbound(ByteBuffer(string: "l LOGIN alice \(TemporaryMailBackend.password)\r\ns SELECT INBOX\r\n"))
        #expect(settle().contains("s OK [READ-WRITE]"))
        try session.channel.writeInbound(ByteBuffer(string: "f FETCH 1 BODY.PEEK[]\r\n"))
        runner.runNext()  // the first chunk only
        var text = session.output()
        #expect(text.hasPrefix("* 1 FETCH (BODY[] {"))
        session.channel.pipeline.fireUserInboundEventTriggered(ServerShuttingDown())
        text += settle()
        #expect(text.hasSuffix(")\r\nf OK FETCH completed.\r\n* BYE [UNAVAILABLE] Server shutting down, please reconnect later.\r\n"),
                "\(text.suffix(200))")
        #expect(text.components(separatedBy: "* BYE").count == 2, "one BYE, after the response")
    }
}
