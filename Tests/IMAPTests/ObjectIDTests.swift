import IMAP
import Testing

/// OBJECTID (RFC 8474): MAILBOXID in SELECT, CREATE and STATUS; EMAILID and THREADID in FETCH;
/// the EMAILID and THREADID search keys.
@Suite struct ObjectIDTests {
    /// Every `<item> (<id>)` in `text`, in order; each must be a well-formed objectid (RFC 8474 §7).
    private func ids(_ item: String, in text: String) -> [String] {
        let pattern = try! Regex<(Substring, Substring)>(item + #" \(([^)]*)\)"#)
        return text.matches(of: pattern).map { String($0.output.1) }
    }

    private func isObjectID(_ id: String) -> Bool {
        (1...255).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// The one MAILBOXID in `text`, checked well-formed.
    private func mailboxID(in text: String) throws -> String {
        let found = ids("MAILBOXID", in: text)
        try #require(found.count == 1, "\(text)")
        #expect(isObjectID(found[0]), "\(found[0])")
        return found[0]
    }

    @Test("CREATE, SELECT, EXAMINE, STATUS and LIST-STATUS give one MAILBOXID; RENAME keeps it, DELETE and CREATE make a new one")
    func mailboxIDs() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        #expect(try session.send("c CAPABILITY\r\n").contains(" OBJECTID"))
        let create = try session.send("a CREATE Work\r\n")
        #expect(create.hasPrefix("a OK [MAILBOXID ("), "\(create)")
        let work = try mailboxID(in: create)
        let select = try session.send("b SELECT Work\r\n")
        #expect(select.contains("* OK [MAILBOXID (\(work))]"), "\(select)")
        #expect(try mailboxID(in: try session.send("c EXAMINE Work\r\n")) == work)
        #expect(try session.send("d STATUS Work (MESSAGES MAILBOXID)\r\n")
                .contains("* STATUS \"Work\" (MESSAGES 0 MAILBOXID (\(work)))\r\n"))
        let list = try session.send("e LIST \"\" Work RETURN (STATUS (MAILBOXID))\r\n")
        #expect(list.contains("* STATUS \"Work\" (MAILBOXID (\(work)))\r\n"), "\(list)")
        let inbox = try mailboxID(in: try session.send("f STATUS INBOX (MAILBOXID)\r\n"))
        #expect(inbox != work)

        _ = try session.send("g UNSELECT\r\n")
        #expect(try session.send("h RENAME Work Play\r\n").contains("h OK"))
        #expect(try mailboxID(in: try session.send("i STATUS Play (MAILBOXID)\r\n")) == work)
        #expect(try session.send("j DELETE Play\r\n").contains("j OK"))
        let recreated = try mailboxID(in: try session.send("k CREATE Play\r\n"))
        #expect(recreated != work && recreated != inbox)
        #expect(try mailboxID(in: try session.send("l SELECT Play\r\n")) == recreated)
        #expect(try mailboxID(in: try session.send("m STATUS INBOX (MAILBOXID)\r\n")) == inbox)
    }

    @Test("RENAME INBOX: INBOX keeps its MAILBOXID, the new mailbox gets its own, and the moved messages keep their EMAILIDs")
    func renameInbox() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver("Subject: one\n\nx\n")
        try backend.deliver("Subject: two\n\ny\n")
        // A copy carries its id in the uidlist, not in its name: that must move along too.
        _ = try session.send("a SELECT INBOX\r\n")
        _ = try session.send("b COPY 1 Trash\r\n")
        _ = try session.send("c SELECT Trash\r\n")
        _ = try session.send("d MOVE 1 INBOX\r\n")
        _ = try session.send("e SELECT INBOX\r\n")
        let before = ids("EMAILID", in: try session.send("f FETCH 1:* (EMAILID)\r\n"))
        #expect(before.count == 3 && before[2] == before[0], "\(before)")
        let inbox = try mailboxID(in: try session.send("g STATUS INBOX (MAILBOXID)\r\n"))
        _ = try session.send("h UNSELECT\r\n")

        #expect(try session.send("i RENAME INBOX Old\r\n").contains("i OK"))
        #expect(try mailboxID(in: try session.send("j STATUS INBOX (MAILBOXID MESSAGES)\r\n")) == inbox)
        let old = try mailboxID(in: try session.send("k SELECT Old\r\n"))
        #expect(old != inbox)
        #expect(ids("EMAILID", in: try session.send("l FETCH 1:* (EMAILID)\r\n")) == before)
    }

    @Test("EMAILID: distinct per message, the same in a new session, after COPY and after MOVE; THREADID is NIL")
    func emailIDs() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { backend.remove() }
        for index in 1...3 { try backend.deliver("Subject: \(index)\n\nbody\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        let fetch = try session.send("b FETCH 1:* (EMAILID THREADID)\r\n")
        let original = ids("EMAILID", in: fetch)
        #expect(original.count == 3 && Set(original).count == 3, "\(fetch)")
        #expect(original.allSatisfy(isObjectID))
        #expect(fetch.contains("* 1 FETCH (EMAILID (\(original[0])) THREADID NIL)\r\n"), "\(fetch)")
        let uidFetch = try session.send("c UID FETCH 2 (EMAILID)\r\n")
        #expect(uidFetch.contains("* 2 FETCH (UID 2 EMAILID (\(original[1])))\r\n"), "\(uidFetch)")
        session.close()

        // A new session reads the mailbox afresh (its index was written when the last one left).
        let second = try IMAPHarness(backend: backend)
        defer { second.close() }
        try second.login()
        _ = try second.send("a SELECT INBOX\r\n")
        #expect(ids("EMAILID", in: try second.send("b FETCH 1:* (EMAILID)\r\n")) == original)
        #expect(try second.send("c COPY 1 Trash\r\n").contains("c OK"))
        #expect(try second.send("d MOVE 2 Trash\r\n").contains("d OK"))
        #expect(ids("EMAILID", in: try second.send("e FETCH 1:* (EMAILID)\r\n")) == [original[0], original[2]])
        _ = try second.send("f SELECT Trash\r\n")
        #expect(ids("EMAILID", in: try second.send("g FETCH 1:* (EMAILID)\r\n")) == [original[0], original[1]])
        // A copy of a copy still has it.
        #expect(try second.send("h COPY 1 Junk\r\n").contains("h OK"))
        _ = try second.send("j EXAMINE Junk\r\n")
        #expect(ids("EMAILID", in: try second.send("k FETCH 1 (EMAILID)\r\n")) == [original[0]])
    }

    @Test("SEARCH EMAILID finds exactly that message; an unknown id and any THREADID find none")
    func searchKeys() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        for index in 1...4 { try backend.deliver("Subject: \(index)\n\nbody\n") }
        _ = try session.send("a SELECT INBOX\r\n")
        let all = ids("EMAILID", in: try session.send("b FETCH 1:* (EMAILID)\r\n"))
        try #require(all.count == 4)
        #expect(try session.send("c SEARCH EMAILID \(all[2])\r\n").contains("* SEARCH 3\r\n"))
        #expect(try session.send("d UID SEARCH OR EMAILID \(all[0]) EMAILID \(all[3])\r\n").contains("* SEARCH 1 4\r\n"))
        #expect(try session.send("e SEARCH NOT EMAILID \(all[1])\r\n").contains("* SEARCH 1 3 4\r\n"))
        #expect(try session.send("f SEARCH EMAILID M_no-such-id\r\n").contains("* SEARCH\r\n"))
        #expect(try session.send("g SEARCH THREADID T1\r\n").contains("* SEARCH\r\n"))
        #expect(try session.send("h SEARCH RETURN (COUNT) EMAILID \(all[1])\r\n").contains("COUNT 1"))
    }

    @Test("malformed OBJECTID arguments get BAD and the session goes on")
    func badSyntax() throws {
        let (backend, session) = try IMAPHarness.loggedIn()
        defer { session.close(); backend.remove() }
        try backend.deliver("Subject: one\n\nx\n")
        _ = try session.send("a SELECT INBOX\r\n")
        for (tag, command) in [
            ("b", "FETCH 1 (EMAILID"), ("c", "SEARCH EMAILID"), ("d", "SEARCH EMAILID abc.def"),
            ("e", "SEARCH EMAILID \"abc\""), ("f", "SEARCH THREADID a*b"),
            ("g", "SEARCH EMAILID " + String(repeating: "a", count: 256)), ("h", "STATUS INBOX (MAILBOXID"),
            ("i", "FETCH 1 EMAILIDS"),
        ] {
            let reply = try session.send("\(tag) \(command)\r\n")
            #expect(reply.hasPrefix("\(tag) BAD"), "\(command): \(reply)")
        }
        #expect(try session.send("z FETCH 1 (EMAILID)\r\n").contains("z OK FETCH completed."))
    }

    @Test("withheld OBJECTID: not advertised, no MAILBOXID codes, its items and keys are unknown")
    func withheld() throws {
        for (listener, user) in [(Set(["OBJECTID"]), Set<String>()), ([], ["OBJECTID"])] {
            let backend = try TemporaryMailBackend(withheldForUser: user)
            defer { backend.remove() }
            try backend.deliver("Subject: one\n\nx\n")
            let session = try IMAPHarness(backend: backend, withheld: listener)
            defer { session.close() }
            try session.login()
            #expect(!(try session.send("c CAPABILITY\r\n").contains("OBJECTID")))
            let create = try session.send("d CREATE Work\r\n")
            #expect(create == "d OK CREATE completed.\r\n", "\(create)")
            let select = try session.send("e SELECT INBOX\r\n")
            #expect(select.contains("e OK") && !select.contains("MAILBOXID"))
            for (tag, command) in [
                ("f", "FETCH 1 (EMAILID)"), ("g", "FETCH 1 (THREADID)"), ("h", "STATUS INBOX (MAILBOXID)"),
                ("i", "LIST \"\" INBOX RETURN (STATUS (MAILBOXID))"), ("j", "SEARCH EMAILID abc"),
                ("k", "UID SEARCH THREADID abc"), ("l", "SORT (SUBJECT) UTF-8 EMAILID abc"),
            ] {
                let reply = try session.send("\(tag) \(command)\r\n")
                #expect(reply.hasPrefix("\(tag) BAD"), "\(command): \(reply)")
            }
            #expect(try session.send("m FETCH 1 (UID)\r\n").contains("m OK"))
        }
    }
}
