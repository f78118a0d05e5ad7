import Foundation
import Testing

/// NOTIFY (RFC 5465) against a real `loft serve`: a raw-socket client that never sends IDLE or NOOP
/// hears of another imaplib session's changes and of mail submitted over SMTP.
@Suite(.serialized) struct IMAPNotifyEndToEndTests {
    @Test("session A (STARTTLS) gets EXISTS, STATUS and LIST between commands for session B's APPEND, CREATE/SUBSCRIBE/RENAME and an SMTP submission")
    func notificationsWithoutIdle() async throws {
        let server = try LoftProcess.imap(more: [("submission", "starttls")])
        defer { server.cleanUpNow() }
        try await server.startIMAP(more: 1)
        let r = try await PythonIMAP.replies(#"""
        import smtplib
        port, implicit, submission, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        a = Raw(port, "starttls")
        a.login()
        out["caps"] = raw(a.cmd("c", "CAPABILITY"))
        out["select"] = raw(a.cmd("s", "SELECT Archive"))
        # RFC 5465 section 5: MessageNew without MessageExpunge is BAD.
        out["half"] = raw(a.cmd("h", "NOTIFY SET (INBOXES (MessageNew))"))
        out["notify"] = raw(a.cmd("n", "NOTIFY SET STATUS (SELECTED (MessageNew MessageExpunge)) (INBOXES (MessageNew MessageExpunge)) (SUBSCRIBED (MessageNew MessageExpunge MailboxName))"))
        def finish():
            done()
            sys.exit(0)

        b = connect("ssl", implicit); login(b)
        b.append("Archive", None, None, b"Subject: into the selected mailbox\r\n\r\nhi\r\n")
        out["after_append"] = a.wait_for(r"^\* 1 EXISTS$")
        if out["after_append"]["typ"] != "found": finish()

        s = smtplib.SMTP("127.0.0.1", submission, timeout=20)
        s.starttls(context=tls_context())
        s.login("alice", password)
        s.sendmail("alice@example.org", ["alice@example.org"], b"From: alice@example.org\r\nTo: alice@example.org\r\nSubject: submitted\r\n\r\nhello\r\n")
        s.quit()
        out["after_submission"] = a.wait_for(r'^\* STATUS "INBOX" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+\)$')
        if out["after_submission"]["typ"] != "found": finish()

        out["create"] = call(b, "create", "Lists")
        out["subscribe"] = call(b, "subscribe", "Lists")
        # A takes up the new subscription between commands, off the event loop; a message that arrives in
        # the moment before is not announced (README), so append until one is, then check the count.
        appended = 0
        for attempt in range(20):
            b.append("Lists", None, None, b"Subject: to a subscribed folder\r\n\r\nhi\r\n")
            appended += 1
            out["after_lists"] = a.wait_for(r'^\* STATUS "Lists" \(MESSAGES \d+ UIDNEXT \d+ UIDVALIDITY \d+\)$', timeout=5)
            if out["after_lists"]["typ"] == "found":
                break
        out["appended"] = value(appended)
        if out["after_lists"]["typ"] != "found": finish()
        out["rename"] = call(b, "rename", "Lists", "Lists2")
        out["after_rename"] = a.wait_for(r'^\* LIST \(.*\\Subscribed\) "\." "Lists2" \("OLDNAME" \("Lists"\)\)$')
        b.logout()

        a.sock.settimeout(20)
        out["none"] = raw(a.cmd("x", "NOTIFY NONE"))
        out["noop"] = raw(a.cmd("y", "NOOP"))
        finish()
        """#, ["\(server.imapStartTLSPort)", "\(server.imapImplicitPort)", "\(server.port("starttls", protocol: "submission"))",
               LoftProcess.password])
        #expect(r["caps"]?.lines.first?.contains(" NOTIFY") == true, "\(String(describing: r["caps"]))")
        #expect(r["half"]?.typ == "BAD", "\(String(describing: r["half"]))")
        let notify = try #require(r["notify"])
        #expect(notify.ok, "\(notify)")
        #expect(notify.untagged.contains { $0.hasPrefix("* STATUS \"INBOX\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ") }, "\(notify)")
        #expect(!notify.untagged.contains { $0.contains("\"Archive\"") }, "the selected mailbox gets no STATUS")
        #expect(r["after_append"]?.typ == "found", "\(String(describing: r["after_append"]))")
        #expect(r["after_submission"]?.typ == "found", "\(String(describing: r["after_submission"]))")
        #expect(r["create"]?.ok == true && r["subscribe"]?.ok == true)
        #expect(r["after_lists"]?.typ == "found", "\(String(describing: r["after_lists"]))")
        let appended = Int(r["appended"]?.typ ?? "") ?? -1
        #expect(r["after_lists"]?.lines.last?.hasPrefix("* STATUS \"Lists\" (MESSAGES \(appended) UIDNEXT \(appended + 1) ") == true,
                "the STATUS counts every message appended: \(appended), \(String(describing: r["after_lists"]))")
        #expect(r["rename"]?.ok == true)
        #expect(r["after_rename"]?.typ == "found", "\(String(describing: r["after_rename"]))")
        #expect(r["none"]?.ok == true && r["noop"]?.ok == true)
    }
}
