import Foundation
import Testing

/// Changes seen by other sessions while they happen (two imaplib sessions; IDLE woken by
/// submission and POP3), and what survives a restart of the server.
@Suite(.serialized) struct IMAPEndToEndLiveTests {
    typealias Reply = PythonIMAP.Reply

    @Test("two sessions on INBOX: B's NOOP shows A's STORE (FETCH), APPEND (EXISTS) and EXPUNGE")
    func twoSessions() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 2)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        a = connect("ssl", port); login(a); a.select("INBOX")
        b = connect("starttls", int(sys.argv[2])); login(b); b.select("INBOX")
        def poll(m, want, timeout=10):
            # NOOP until the wanted line shows (a generous bound, not a speed check).
            deadline, seen = time.time() + timeout, []
            while True:
                reply = call(m, "noop")
                seen += reply["lines"]
                if any(re.search(want, l) for l in reply["lines"]) or time.time() > deadline:
                    return {"typ": reply["typ"], "lines": seen, "data": []}
                time.sleep(0.2)
        out["store"] = call(a, "store", "1", "+FLAGS", r"(\Flagged)")
        out["b_flag"] = poll(b, r"^\* 1 FETCH .*\\Flagged")
        out["append"] = call(a, "append", "INBOX", None, None, b"Subject: live\r\n\r\nnew\r\n")
        out["b_exists"] = poll(b, r"^\* 3 EXISTS")
        a.store("2", "+FLAGS", r"(\Deleted)")
        out["expunge"] = call(a, "expunge")
        out["b_expunge"] = poll(b, r"^\* 2 EXPUNGE")
        out["b_after"] = call(b, "fetch", "1:*", "(UID FLAGS)")
        a.logout(); b.logout()
        done()
        """#, ["\(server.imapImplicitPort)", "\(server.imapStartTLSPort)"])
        #expect(r["store"]?.ok == true)
        let flag = try #require(r["b_flag"])
        #expect(flag.lines.contains { $0.hasPrefix("* 1 FETCH ") && $0.contains("\\Flagged") }, "\(flag)")
        #expect(r["append"]?.ok == true)
        let exists = try #require(r["b_exists"])
        #expect(exists.lines.contains("* 3 EXISTS"), "\(exists)")
        #expect(r["expunge"]?.untagged.contains("* 2 EXPUNGE") == true, "\(String(describing: r["expunge"]))")
        let expunge = try #require(r["b_expunge"])
        #expect(expunge.lines.contains("* 2 EXPUNGE"), "\(expunge)")
        let after = try #require(r["b_after"])
        let uids = after.untagged.compactMap { line in line.firstMatch(of: #/UID (\d+)/#).map { Int($0.1)! } }
        #expect(uids == [1, 3], "\(after)")
    }

    @Test("another session's EXPUNGE waits for B's NOOP: until then B's sequence numbers stay as they were (RFC 3501 §7.4.1)")
    func expungeAnnouncedLater() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 3)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        a = Raw(port, "ssl"); a.login(); a.cmd("s", "SELECT INBOX")
        b = Raw(port, "ssl"); b.login(); b.cmd("s", "SELECT INBOX")
        a.cmd("d", "STORE 1 +FLAGS.SILENT (\Deleted)")
        out["a_expunge"] = raw(a.cmd("e", "EXPUNGE"))
        out["b_fetch3"] = raw(b.cmd("f", "FETCH 3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
        out["b_store2"] = raw(b.cmd("t", "STORE 2 +FLAGS (\Flagged)"))
        out["b_noop"] = raw(b.cmd("n", "NOOP"))
        out["b_after"] = raw(b.cmd("g", "FETCH 1:* (UID FLAGS)"))
        out["a_noop"] = raw(a.cmd("n", "NOOP"))
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(r["a_expunge"]?.lines.contains("* 1 EXPUNGE") == true, "\(String(describing: r["a_expunge"]))")
        // B was not told yet: its message 3 is still "Message 3", its message 2 still "Message 2".
        let fetch3 = try #require(r["b_fetch3"])
        #expect(fetch3.typ == "OK" && fetch3.lines.first?.hasPrefix("* 3 FETCH") == true && fetch3.lines.first?.contains("Subject: Message 3") == true, "\(fetch3)")
        #expect(!fetch3.lines.contains { $0.hasSuffix(" EXPUNGE") }, "no EXPUNGE during FETCH: \(fetch3)")
        let store2 = try #require(r["b_store2"])
        #expect(store2.typ == "OK" && !store2.lines.contains { $0.hasSuffix(" EXPUNGE") }, "no EXPUNGE during STORE: \(store2)")
        #expect(r["b_noop"]?.lines.contains("* 1 EXPUNGE") == true, "\(String(describing: r["b_noop"]))")
        let after = try #require(r["b_after"])
        #expect(after.untagged.count == 2 && after.untagged[0].contains("UID 2") && after.untagged[0].contains("\\Flagged"), "B's STORE 2 hit UID 2 (Message 2): \(after)")
        #expect(r["a_noop"]?.lines.contains { $0.hasPrefix("* 1 FETCH") && $0.contains("\\Flagged") } == true, "\(String(describing: r["a_noop"]))")
    }

    @Test("IDLE wakes up for another IMAP session's APPEND, a message submitted on 587, and a POP3 DELE+QUIT")
    func idleWakes() async throws {
        let server = try LoftProcess.imap(more: [("submission", "starttls"), ("pop3", "implicit")])
        defer { server.cleanUpNow() }
        try server.deliverToAlice(IMAPEndToEndTests.simple(1))
        try await server.startIMAP(more: 2)
        let r = try await PythonIMAP.replies(#"""
        import smtplib, poplib
        port, submission, pop3, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        r = Raw(port, "ssl")
        r.login()
        r.cmd("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        out["idle"] = raw([r.line()])
        def finish():
            done()
            sys.exit(0)

        other = connect("ssl", port); login(other)
        other.append("INBOX", None, None, b"Subject: from another session\r\n\r\nhi\r\n")
        other.logout()
        out["after_append"] = r.wait_for(r"^\* 2 EXISTS$")
        if out["after_append"]["typ"] != "found": finish()

        s = smtplib.SMTP("127.0.0.1", submission, timeout=20)
        s.starttls(context=tls_context())
        s.login("alice", password)
        s.sendmail("alice@example.org", ["alice@example.org"], b"From: alice@example.org\r\nTo: alice@example.org\r\nSubject: submitted\r\n\r\nhello\r\n")
        s.quit()
        out["after_submission"] = r.wait_for(r"^\* 3 EXISTS$")
        if out["after_submission"]["typ"] != "found": finish()

        p = poplib.POP3_SSL("127.0.0.1", pop3, context=tls_context(), timeout=20)
        p.user("alice")
        p.pass_(password)
        out["pop3_count"] = value(p.stat()[0])
        out["pop3_dele"] = value(p.dele(1).decode())
        out["pop3_quit"] = value(p.quit().decode())
        out["after_pop3"] = r.wait_for(r"^\* 1 EXPUNGE$")
        if out["after_pop3"]["typ"] != "found": finish()

        r.sock.settimeout(20)
        r.send("DONE\r\n")
        out["done"] = raw(r.until("i"))
        out["fetch"] = raw(r.cmd("f", "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
        finish()
        """#, ["\(server.imapImplicitPort)", "\(server.port("starttls", protocol: "submission"))", "\(server.port("implicit"))", LoftProcess.password])
        #expect(r["idle"]?.lines.first?.hasPrefix("+ ") == true, "\(String(describing: r["idle"]))")
        #expect(r["after_append"]?.typ == "found", "\(String(describing: r["after_append"]))")
        #expect(r["after_submission"]?.typ == "found", "\(String(describing: r["after_submission"]))")
        #expect(r["pop3_count"]?.typ == "3", "\(String(describing: r["pop3_count"]))")
        #expect(r["pop3_quit"]?.typ.hasPrefix("+OK") == true, "\(String(describing: r["pop3_quit"]))")
        #expect(r["after_pop3"]?.typ == "found", "\(String(describing: r["after_pop3"]))")
        #expect(r["done"]?.typ == "OK", "\(String(describing: r["done"]))")
        let subjects = r["fetch"]?.lines.filter { $0.contains("Subject: ") } ?? []
        #expect(subjects.count == 2 && subjects[0].contains("from another session") && subjects[1].contains("submitted"), "\(subjects)")
    }

    /// Sets up flags, keywords, an expunged UID, a folder and subscriptions.
    static let setUp = #"""
    m = connect("ssl", int(sys.argv[1])); login(m)
    m.select("INBOX")
    m.store("1", "+FLAGS", r"(\Flagged $Forwarded)")
    m.store("2", "+FLAGS", r"(\Seen $Label1)")
    m.store("3", "+FLAGS", r"(\Deleted)")
    m.expunge()
    m.append("INBOX", r"(\Answered)", None, b"Subject: four\r\n\r\n4\r\n")
    m.append("INBOX", None, None, b"Subject: five\r\n\r\n5\r\n")
    m.uid("STORE", "5", "+FLAGS", r"(\Deleted)")
    m.expunge()
    m.create("Projects"); m.subscribe("Projects"); m.unsubscribe("Junk")
    m.append("Projects", r"(\Seen $Done)", None, b"Subject: p\r\n\r\np\r\n")
    m.logout()
    done()
    """#

    /// What a client remembers between sessions: per mailbox UIDVALIDITY, UIDNEXT, and each UID's
    /// flags (without the session's \Recent); the subscriptions. With "append", appends a message
    /// afterwards and records its APPENDUID.
    static let snapshot = #"""
    m = connect("ssl", int(sys.argv[1])); login(m)
    lines = []
    for box in ["INBOX", "Projects", "Archive"]:
        status = call(m, "status", box, "(UIDVALIDITY UIDNEXT MESSAGES)")
        lines += [l for l in status["lines"] if l.startswith("* STATUS")]
        m.select(box)
        fetched = call(m, "fetch", "1:*", "(UID FLAGS)")
        for line in fetched["lines"]:
            found = re.search(r"FETCH \(.*UID (\d+).*FLAGS \(([^)]*)\)|FETCH \(.*FLAGS \(([^)]*)\).*UID (\d+)", line)
            if found:
                uid = found.group(1) or found.group(4)
                flags = (found.group(2) if found.group(2) is not None else found.group(3)).split()
                lines.append("%s UID %s: %s" % (box, uid, " ".join(sorted(f for f in flags if f != "\\Recent"))))
    lsub = call(m, "lsub", '""', '"*"')
    lines += sorted(l for l in lsub["lines"] if l.startswith("* LSUB"))
    out["state"] = {"typ": "", "lines": lines, "data": []}
    if len(sys.argv) > 2:
        out["append"] = call(m, "append", "INBOX", None, None, b"Subject: six\r\n\r\n6\r\n")
    m.logout()
    done()
    """#

    @Test("UIDs, UIDVALIDITY, UIDNEXT, flags, keywords and subscriptions survive a restart and the loss of Loft's index/cache files")
    func persistence() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 3)
        defer { server.cleanUpNow() }
        let port = { "\(server.imapImplicitPort)" }
        _ = try await PythonIMAP.replies(Self.setUp, [port()])
        let first = try #require(try await PythonIMAP.replies(Self.snapshot, [port()])["state"]).lines

        await server.stop()
        try await server.startIMAP()
        let second = try #require(try await PythonIMAP.replies(Self.snapshot, [port()])["state"]).lines
        #expect(second == first)

        await server.stop()
        var removed: [String] = []
        if let walker = FileManager.default.enumerator(atPath: server.aliceMaildir) {
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                guard name.hasPrefix("loft-index") || name.hasPrefix("loft-cache") else { continue }
                try FileManager.default.removeItem(atPath: server.aliceMaildir + "/" + relative)
                removed.append(relative)
            }
        }
        #expect(!removed.isEmpty, "Loft keeps loft-index files in the Maildir; this step removes them")
        try await server.startIMAP()
        let third = try await PythonIMAP.replies(Self.snapshot, [port(), "append"])
        #expect(third["state"]?.lines == first, "after removing \(removed)")

        // What the first session set up, as a client would check it.
        // The mailbox name may be an atom or a quoted string.
        let inboxStatus = first.first { $0.hasPrefix("* STATUS INBOX (") || $0.hasPrefix("* STATUS \"INBOX\" (") } ?? ""
        #expect(inboxStatus.contains("UIDNEXT 6") && inboxStatus.contains("MESSAGES 3"), "\(first)")
        #expect(first.contains("INBOX UID 1: $Forwarded \\Flagged"), "\(first)")
        #expect(first.contains("INBOX UID 2: $Label1 \\Seen"), "\(first)")
        #expect(first.contains("INBOX UID 4: \\Answered"), "\(first)")
        #expect(!first.contains { $0.hasPrefix("INBOX UID 3:") || $0.hasPrefix("INBOX UID 5:") }, "\(first)")
        #expect(first.contains("Projects UID 1: $Done \\Seen"), "\(first)")
        let subscribed = IMAPEndToEndTests.listed(Reply(typ: "", lines: first, data: []), kind: "LSUB")
        #expect(subscribed["Projects"] != nil && subscribed["Junk"] == nil && subscribed["Sent"] != nil, "\(first)")
        // UID 5 was used and expunged: it is never handed out again (RFC 3501 §2.3.1.1).
        let validity = inboxStatus.firstMatch(of: #/UIDVALIDITY (\d+)/#).map { String($0.1) } ?? "?"
        #expect(third["append"]?.code("APPENDUID") == "\(validity) 6", "\(String(describing: third["append"]))")
    }

    /// One CONDSTORE client visit: the HIGHESTMODSEQ SELECT reports and what changed since `argv[2]`.
    static let condStoreVisit = #"""
    port = int(sys.argv[1])
    a = Raw(port, "ssl"); a.login()
    select = a.cmd("s", "SELECT INBOX (CONDSTORE)")
    out["select"] = raw(select)
    if len(sys.argv) > 3:
        out["store"] = raw(a.cmd("t", sys.argv[3]))
    out["changed"] = raw(a.cmd("f", "FETCH 1:* (FLAGS) (CHANGEDSINCE " + sys.argv[2] + ")"))
    a.cmd("l", "LOGOUT")
    done()
    """#

    static func highestModSeq(_ reply: Reply?) -> UInt64? {
        reply?.lines.lazy.compactMap { $0.firstMatch(of: #/\[HIGHESTMODSEQ (\d+)\]/#).map { UInt64($0.1) } }.first ?? nil
    }

    @Test("CONDSTORE: mod-sequences survive a restart; after losing loft-index, HIGHESTMODSEQ never goes back")
    func modSeqPersistence() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 3)
        defer { server.cleanUpNow() }
        let port = { "\(server.imapImplicitPort)" }
        let first = try await PythonIMAP.replies(Self.condStoreVisit, [port(), "0", "STORE 2 +FLAGS (\\Flagged)"])
        let before = try #require(Self.highestModSeq(first["select"]), "\(first)")
        let stored = try #require(first["store"]?.lines.first { $0.hasPrefix("* 2 FETCH") }, "\(first)")
        #expect(stored.contains("MODSEQ ("), "\(stored)")

        await server.stop()
        try await server.startIMAP()
        let second = try await PythonIMAP.replies(Self.condStoreVisit, [port(), "\(before)"])
        let afterRestart = try #require(Self.highestModSeq(second["select"]), "\(second)")
        #expect(afterRestart > before)
        let changed = second["changed"]?.lines.filter { $0.hasPrefix("* ") } ?? []
        #expect(changed.count == 1 && changed[0].hasPrefix("* 2 FETCH (FLAGS (\\Flagged") && changed[0].contains("MODSEQ ("),
                "only message 2 changed after \(before): \(changed)")

        await server.stop()
        if let walker = FileManager.default.enumerator(atPath: server.aliceMaildir) {
            while let relative = walker.nextObject() as? String {
                guard (relative as NSString).lastPathComponent.hasPrefix("loft-index") else { continue }
                try FileManager.default.removeItem(atPath: server.aliceMaildir + "/" + relative)
            }
        }
        try await server.startIMAP()
        let third = try await PythonIMAP.replies(Self.condStoreVisit, [port(), "\(afterRestart)"])
        let rebuilt = try #require(Self.highestModSeq(third["select"]), "\(third)")
        #expect(rebuilt >= afterRestart, "HIGHESTMODSEQ went back from \(afterRestart) to \(rebuilt)")
    }

    @Test("QRESYNC: a client away while another session flags and expunges, with a restart between, gets exactly those changes")
    func qresyncAcrossRestart() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 3)
        defer { server.cleanUpNow() }
        let port = { "\(server.imapImplicitPort)" }
        let first = try await PythonIMAP.replies(#"""
        a = Raw(int(sys.argv[1]), "ssl"); a.login()
        a.cmd("e", "ENABLE QRESYNC")
        out["select"] = raw(a.cmd("s", "SELECT INBOX"))
        a.cmd("l", "LOGOUT")
        b = Raw(int(sys.argv[1]), "ssl"); b.login()
        b.cmd("s", "SELECT INBOX")
        b.cmd("f", "STORE 2 +FLAGS (\\Flagged)")
        b.cmd("d", "STORE 3 +FLAGS (\\Deleted)")
        b.cmd("x", "EXPUNGE")
        b.cmd("l", "LOGOUT")
        done()
        """#, [port()])
        let select = try #require(first["select"], "\(first)")
        let validity = try #require(select.lines.lazy.compactMap { $0.firstMatch(of: #/\[UIDVALIDITY (\d+)\]/#).map { String($0.1) } }.first)
        let modSeq = try #require(Self.highestModSeq(select))

        await server.stop()
        try await server.startIMAP()
        let back = try await PythonIMAP.replies(#"""
        a = Raw(int(sys.argv[1]), "ssl"); a.login()
        a.cmd("e", "ENABLE QRESYNC")
        out["select"] = raw(a.cmd("s", "SELECT INBOX (QRESYNC (" + sys.argv[2] + " " + sys.argv[3] + " 1:3))"))
        a.cmd("l", "LOGOUT")
        done()
        """#, [port(), validity, "\(modSeq)"])
        let lines = try #require(back["select"]?.lines, "\(back)")
        #expect(lines.contains("* VANISHED (EARLIER) 3"), "\(lines)")
        let fetches = lines.filter { $0.contains(" FETCH ") }
        #expect(fetches.count == 1 && fetches[0].hasPrefix("* 2 FETCH (UID 2 FLAGS (\\Flagged") && fetches[0].contains("MODSEQ ("),
                "only message 2 changed: \(fetches)")
        #expect(lines.last?.hasPrefix("s OK [READ-WRITE]") == true, "\(lines)")
    }
}
