import IMAP
import Testing

/// NOTIFY (RFC 5465) between sessions of one process: changes arrive without a command from the
/// client that asked for them.
@Suite(.serialized) struct NotifySessionTests {
    /// Two sessions of one user: `watcher` asks for notifications, `actor` makes changes.
    static func pair(limits: IMAPLimits = IMAPLimits()) throws -> (TemporaryMailBackend, watcher: IMAPHarness, actor: IMAPHarness) {
        let backend = try TemporaryMailBackend()
        let watcher = try IMAPHarness(backend: backend, limits: limits)
        try watcher.login()
        let actor = try IMAPHarness(backend: backend)
        try actor.login()
        return (backend, watcher, actor)
    }

    static func append(_ session: IMAPHarness, to mailbox: String, _ text: String = "Subject: hi\r\n\r\nbody\r\n") throws {
        let reply = try session.send("ap APPEND \(mailbox) {\(text.utf8.count)+}\r\n\(text)\r\n")
        precondition(reply.contains("ap OK"), reply)
    }

    @Test("CAPABILITY lists NOTIFY; withheld, NOTIFY is an unknown command; unsupported events get BADEVENT; bad syntax is BAD")
    func capabilityAndRefusals() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        #expect(try session.send("c CAPABILITY\r\n").contains(" NOTIFY"))
        let supported = "BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)"
        #expect(try session.send("a NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))\r\n")
            == "a NO [\(supported)] AnnotationChange is not an event Loft reports.\r\n")
        #expect(try session.send("b NOTIFY SET (personal (QuotaExceeded))\r\n")
            == "b NO [\(supported)] QuotaExceeded is not an event Loft reports.\r\n")
        #expect(try session.send("d NOTIFY SET (selected (MessageNew))\r\n")
            == "d BAD MessageNew and MessageExpunge must be given together (RFC 5465 section 5)\r\n")
        #expect(try session.send("e NOTIFY SET (selected (MailboxName))\r\n").hasPrefix("e BAD "))
        #expect(try session.send("f NOTIFY SET\r\n").hasPrefix("f BAD "))
        #expect(try session.send("g NOTIFY NONE\r\n") == "g OK NOTIFY completed.\r\n", "the session is still usable")

        let unauthenticated = try IMAPHarness(backend: backend)
        defer { unauthenticated.close() }
        _ = unauthenticated.output()
        #expect(try unauthenticated.send("a NOTIFY NONE\r\n").hasPrefix("a BAD Log in first"))

        let withheld = try IMAPHarness(backend: backend, withheld: ["NOTIFY"])
        defer { withheld.close() }
        try withheld.login()
        #expect(try !withheld.send("c CAPABILITY\r\n").contains("NOTIFY"))
        #expect(try withheld.send("a NOTIFY SET (selected (MessageNew MessageExpunge))\r\n") == "a BAD Unknown command NOTIFY\r\n")
        #expect(try withheld.send("b NOOP\r\n") == "b OK NOOP completed.\r\n")

        // Without METADATA the metadata events are not offered either.
        let noMetadata = try IMAPHarness(backend: backend, withheld: ["METADATA"])
        defer { noMetadata.close() }
        try noMetadata.login()
        #expect(try noMetadata.send("a NOTIFY SET (personal (MailboxMetadataChange))\r\n")
            == "a NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] MailboxMetadataChange is not an event Loft reports.\r\n")
    }

    @Test("SELECTED: another session's APPEND, flag change and expunge reach the client between commands, with the FETCH items asked for")
    func selectedMailboxOutsideIdle() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        _ = try watcher.send("s SELECT INBOX\r\n")
        #expect(try watcher.send("n NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange))\r\n")
            == "n OK NOTIFY completed.\r\n")
        try Self.append(actor, to: "INBOX", "Subject: first\r\n\r\nbody\r\n")
        #expect(watcher.output() == "* 1 EXISTS\r\n* 1 RECENT\r\n* 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {18}\r\nSubject: first\r\n\r\n)\r\n")
        _ = try actor.send("s SELECT INBOX\r\n")
        _ = try actor.send("f STORE 1 +FLAGS (\\Flagged)\r\n")
        #expect(watcher.output() == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n")
        _ = try actor.send("e STORE 1 +FLAGS.SILENT (\\Deleted)\r\n")
        _ = watcher.output()
        _ = try actor.send("x EXPUNGE\r\n")
        #expect(watcher.output() == "* 1 EXPUNGE\r\n", "SELECTED reports expunges at once (RFC 5465 section 6.1.1)")
        // The session's own APPEND gets EXISTS with its command, but no FETCH (section 5.2).
        #expect(try watcher.send("a APPEND INBOX {4+}\r\nx\r\n\r\n").contains("a OK [APPENDUID "))
        #expect(watcher.output() == "")
    }

    @Test("without NOTIFY, or with SELECTED-DELAYED, changes wait for a command; expunges for one that may announce them")
    func withoutNotifyOrDelayed() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        _ = try watcher.send("s SELECT INBOX\r\n")
        try Self.append(actor, to: "INBOX")
        #expect(watcher.output() == "", "without NOTIFY nothing comes between commands")
        #expect(try watcher.send("a NOOP\r\n").contains("* 1 EXISTS"))
        #expect(try watcher.send("n NOTIFY SET (selected-delayed (MessageNew MessageExpunge))\r\n") == "n OK NOTIFY completed.\r\n")
        try Self.append(actor, to: "INBOX")
        #expect(watcher.output() == "* 2 EXISTS\r\n* 2 RECENT\r\n")
        _ = try actor.send("s SELECT INBOX\r\n")
        _ = try actor.send("d STORE 1 +FLAGS.SILENT (\\Deleted)\r\n")
        _ = try actor.send("x EXPUNGE\r\n")
        #expect(watcher.output() == "", "SELECTED-DELAYED holds the expunge back")
        #expect(try watcher.send("f FETCH 2 (UID)\r\n").contains("f OK") && watcher.output() == "", "not during FETCH either")
        #expect(try watcher.send("b NOOP\r\n").contains("* 1 EXPUNGE\r\n"))
    }

    @Test("a message delivered to another watched mailbox is reported as STATUS; the STATUS indicator sends them first")
    func statusForOtherMailboxes() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        _ = try watcher.send("s SELECT Archive\r\n")
        let set = try watcher.send("n NOTIFY SET STATUS (selected (MessageNew MessageExpunge)) (inboxes (MessageNew MessageExpunge)) (mailboxes (Trash Archive) (MessageNew MessageExpunge FlagChange))\r\n")
        let uidValidity = try #require(set.split(separator: "UIDVALIDITY ").dropFirst().first?.prefix { $0.isNumber })
        #expect(set.contains("* STATUS \"INBOX\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY \(uidValidity))\r\n"), "\(set)")
        #expect(set.contains("* STATUS \"Trash\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY "), "\(set)")
        #expect(!set.contains("\"Archive\""), "the selected mailbox gets no STATUS (section 3.1)")
        #expect(set.hasSuffix("n OK NOTIFY completed.\r\n"))
        try Self.append(actor, to: "INBOX")
        #expect(watcher.output() == "* STATUS \"INBOX\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY \(uidValidity))\r\n")
        try Self.append(actor, to: "Archive")
        #expect(watcher.output() == "* 1 EXISTS\r\n* 1 RECENT\r\n")
        try Self.append(actor, to: "Drafts")
        #expect(watcher.output() == "", "Drafts is not watched")
        // FlagChange in another mailbox: UNSEEN when it changed (no CONDSTORE), HIGHESTMODSEQ once CONDSTORE is on.
        try Self.append(actor, to: "Trash")
        #expect(watcher.output().hasPrefix("* STATUS \"Trash\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY "))
        _ = try actor.send("t SELECT Trash\r\n")
        _ = try actor.send("f STORE 1 +FLAGS (\\Seen)\r\n")
        #expect(watcher.output().hasSuffix(" UNSEEN 0)\r\n"))
        _ = try actor.send("g STORE 1 +FLAGS (\\Flagged)\r\n")
        #expect(watcher.output() == "", "UNSEEN did not change")
        _ = try watcher.send("e ENABLE CONDSTORE\r\n")
        _ = try actor.send("h STORE 1 -FLAGS (\\Flagged)\r\n")
        #expect(watcher.output().contains(" UNSEEN 0 HIGHESTMODSEQ "))
    }

    @Test("LIST for CREATE, RENAME (OLDNAME), SUBSCRIBE and DELETE by another session; none for the client's own")
    func mailboxNameAndSubscription() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        #expect(try watcher.send("n NOTIFY SET (personal (MailboxName SubscriptionChange))\r\n") == "n OK NOTIFY completed.\r\n")
        _ = try actor.send("a CREATE Projects\r\n")
        #expect(watcher.output() == "* LIST (\\HasNoChildren) \".\" \"Projects\"\r\n")
        _ = try actor.send("b CREATE Projects.Q1\r\n")
        #expect(watcher.output() == "* LIST (\\HasNoChildren) \".\" \"Projects.Q1\"\r\n* LIST (\\HasChildren) \".\" \"Projects\"\r\n")
        _ = try actor.send("c RENAME Projects Work\r\n")
        #expect(watcher.output() == "* LIST (\\HasChildren) \".\" \"Work\" (\"OLDNAME\" (\"Projects\"))\r\n")
        _ = try actor.send("d SUBSCRIBE Work.Q1\r\n")
        #expect(watcher.output() == "* LIST (\\HasNoChildren \\Subscribed) \".\" \"Work.Q1\"\r\n")
        _ = try actor.send("e DELETE Work.Q1\r\n")
        #expect(watcher.output() == "* LIST (\\NonExistent \\Noselect \\HasNoChildren \\Subscribed) \".\" \"Work.Q1\"\r\n* LIST (\\HasNoChildren) \".\" \"Work\"\r\n")
        _ = try actor.send("f UNSUBSCRIBE Work.Q1\r\n")
        #expect(watcher.output() == "* LIST (\\NonExistent \\Noselect \\HasNoChildren) \".\" \"Work.Q1\"\r\n")
        let own = try watcher.send("g CREATE Mine\r\n")
        #expect(own.hasPrefix("g OK [MAILBOXID (") && !own.contains("* LIST"), "no LIST for the client's own change (section 5): \(own)")
    }

    @Test("METADATA changes of another session arrive as unsolicited METADATA")
    func metadataEvents() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        _ = try watcher.send("n NOTIFY SET (inboxes (MailboxMetadataChange)) (mailboxes Sent (ServerMetadataChange))\r\n")
        _ = try actor.send("a SETMETADATA INBOX (/private/comment \"x\" /shared/comment NIL)\r\n")
        #expect(watcher.output() == "* METADATA \"INBOX\" \"/private/comment\" \"/shared/comment\"\r\n")
        _ = try actor.send("b SETMETADATA \"\" (/shared/admin \"me\")\r\n")
        #expect(watcher.output() == "* METADATA \"\" \"/shared/admin\"\r\n")
        _ = try actor.send("c SETMETADATA Sent (/private/comment \"y\")\r\n")
        #expect(watcher.output() == "", "Sent asked for server metadata only")
    }

    @Test("NOTIFY NONE stops every notification; a second user's changes never show up")
    func noneAndOtherUsers() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        let otherUser = try TemporaryMailBackend(registry: backend.registry)
        defer { otherUser.remove() }
        let stranger = try IMAPHarness(backend: otherUser)
        defer { stranger.close() }
        try stranger.login()
        _ = try stranger.send("s SELECT INBOX\r\n")
        _ = try stranger.send("n NOTIFY SET (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange))\r\n")
        _ = try watcher.send("n NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))\r\n")
        try Self.append(actor, to: "INBOX")
        _ = try actor.send("c CREATE Lists\r\n")
        _ = try actor.send("d SUBSCRIBE Lists\r\n")
        _ = try actor.send("e SETMETADATA \"\" (/private/x \"1\")\r\n")
        #expect(watcher.output() == "* STATUS \"INBOX\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY \(try uidValidity(actor)))\r\n* LIST (\\HasNoChildren) \".\" \"Lists\"\r\n")
        #expect(stranger.output() == "", "another user's mailboxes are not this user's")
        #expect(try watcher.send("x NOTIFY NONE\r\n") == "x OK NOTIFY completed.\r\n")
        try Self.append(actor, to: "INBOX")
        _ = try actor.send("f CREATE Other\r\n")
        #expect(watcher.output() == "")
    }

    func uidValidity(_ session: IMAPHarness) throws -> String {
        let status = try session.send("u STATUS INBOX (UIDVALIDITY)\r\n")
        return String(try #require(status.split(separator: "UIDVALIDITY ").dropFirst().first?.prefix { $0.isNumber }))
    }

    @Test("SUBSCRIBED is evaluated again when the subscriptions change; a new folder under PERSONAL is watched")
    func watchedSetFollowsChanges() throws {
        let (backend, watcher, actor) = try Self.pair()
        defer { watcher.close(); actor.close(); backend.remove() }
        _ = try actor.send("c CREATE Lists\r\n")
        _ = try watcher.send("n NOTIFY SET (subscribed (MessageNew MessageExpunge)) (subtree Projects (MessageNew MessageExpunge))\r\n")
        try Self.append(actor, to: "Lists")
        #expect(watcher.output() == "", "Lists is not subscribed")
        _ = try actor.send("d SUBSCRIBE Lists\r\n")
        _ = watcher.output()  // the session takes up the change
        try Self.append(actor, to: "Lists")
        #expect(watcher.output().hasPrefix("* STATUS \"Lists\" (MESSAGES 2 UIDNEXT 3 "))
        _ = try actor.send("e CREATE Projects.New\r\n")
        _ = watcher.output()
        try Self.append(actor, to: "Projects.New")
        #expect(watcher.output().hasPrefix("* STATUS \"Projects.New\" (MESSAGES 1 UIDNEXT 2 "))
        _ = try actor.send("f UNSUBSCRIBE Lists\r\n")
        _ = watcher.output()
        try Self.append(actor, to: "Lists")
        #expect(watcher.output() == "")
    }

    @Test("too many mailboxes: NO [NOTIFICATIONOVERFLOW]; too many waiting notifications: OK [NOTIFICATIONOVERFLOW], then none")
    func overflow() throws {
        var limits = IMAPLimits()
        limits.maxNotifyMailboxes = 3
        limits.maxPendingNotifications = 2
        let (backend, watcher, actor) = try Self.pair(limits: limits)
        defer { watcher.close(); actor.close(); backend.remove() }
        #expect(try watcher.send("n NOTIFY SET (personal (MessageNew MessageExpunge))\r\n")
            == "n NO [NOTIFICATIONOVERFLOW] NOTIFY would watch more than 3 mailboxes; name fewer.\r\n")
        #expect(try watcher.send("m NOTIFY SET (personal (MailboxName))\r\n") == "m OK NOTIFY completed.\r\n")
        // While the client sends an APPEND nothing is written to it; the changes queue up.
        #expect(try watcher.send("a APPEND INBOX {4}\r\n") == "+ Ready for literal data\r\n")
        for name in ["A", "B", "C"] { _ = try actor.send("c CREATE \(name)\r\n") }
        let after = try watcher.send("x\r\n\r\n")
        #expect(after.hasPrefix("* OK [NOTIFICATIONOVERFLOW] "), "\(after)")
        #expect(after.contains("a OK [APPENDUID ") && !after.contains("LIST"))
        _ = try actor.send("d CREATE D\r\n")
        #expect(watcher.output() == "", "overflow ends NOTIFY (section 5.8)")
    }
}
