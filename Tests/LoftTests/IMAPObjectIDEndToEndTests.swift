import Foundation
import Testing

/// OBJECTID (RFC 8474) against a real `loft serve` with imaplib, on 993 then 143: MAILBOXID and
/// EMAILID survive a restart, MOVE keeps the EMAILID, RENAME keeps the MAILBOXID.
@Suite(.serialized) struct IMAPObjectIDEndToEndTests {
    /// Every `<item> (<id>)` in the reply's lines and data, in order.
    private func ids(_ item: String, _ reply: PythonIMAP.Reply?) -> [String] {
        let text = ((reply?.lines ?? []) + (reply?.data ?? [])).joined(separator: "\n")
        let pattern = try! Regex<(Substring, Substring)>(item + #" \(([A-Za-z0-9_-]{1,255})\)"#)
        var found: [String] = []
        for match in text.matches(of: pattern) where !found.contains(String(match.output.1)) {
            found.append(String(match.output.1))
        }
        return found
    }

    @Test("MAILBOXID and EMAILID are the same after a restart; MOVE keeps the EMAILID, RENAME the MAILBOXID")
    func idsSurviveRestartMoveAndRename() async throws {
        let server = try LoftProcess(listeners: [("imap", "starttls"), ("imap", "implicit")])
        defer { server.cleanUpNow() }
        for index in 1...3 {
            try server.deliverToAlice(Array("From: bob@example.org\r\nSubject: \(index)\r\n\r\nbody \(index)\r\n".utf8))
        }
        try await server.start(expectedListeners: 2)
        let first = try await PythonIMAP.replies(#"""
        imaplib.Commands["MOVE"] = ("SELECTED",)  # imaplib has no MOVE method (RFC 6851)
        m = connect("ssl", int(sys.argv[1])); login(m)
        out["capability"] = call(m, "capability")
        out["create"] = call(m, "create", "Work")
        out["select"] = call(m, "select", "INBOX")
        out["ids"] = call(m, "fetch", "1:*", "(EMAILID)")
        out["move"] = call(m, "_simple_command", "MOVE", "2", "Work")
        out["left"] = call(m, "fetch", "1:*", "(EMAILID)")
        out["selectWork"] = call(m, "select", "Work")
        out["moved"] = call(m, "fetch", "1", "(EMAILID)")
        out["unselect"] = call(m, "_simple_command", "UNSELECT")
        out["rename"] = call(m, "rename", "Work", "Play")
        out["status"] = call(m, "status", "Play", "(MAILBOXID)")
        out["inbox"] = call(m, "status", "INBOX", "(MAILBOXID)")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(first["capability"]?.data.first?.contains("OBJECTID") == true)
        let work = ids("MAILBOXID", first["create"])
        #expect(first["create"]?.ok == true && work.count == 1, "\(String(describing: first["create"]))")
        let inbox = ids("MAILBOXID", first["select"])
        #expect(inbox.count == 1 && inbox != work, "\(String(describing: first["select"]))")
        let original = ids("EMAILID", first["ids"])
        #expect(original.count == 3, "\(String(describing: first["ids"]))")
        #expect(first["move"]?.ok == true, "\(String(describing: first["move"]))")
        #expect(ids("EMAILID", first["left"]) == [original[0], original[2]])
        #expect(ids("MAILBOXID", first["selectWork"]) == work)
        #expect(ids("EMAILID", first["moved"]) == [original[1]], "MOVE keeps the EMAILID")
        #expect(first["rename"]?.ok == true)
        #expect(ids("MAILBOXID", first["status"]) == work, "RENAME keeps the MAILBOXID")
        #expect(ids("MAILBOXID", first["inbox"]) == inbox)

        #expect(await server.stop() == 0)
        try await server.start(expectedListeners: 2)
        // After the restart over STARTTLS (143), before it over implicit TLS (993).
        let second = try await PythonIMAP.replies(#"""
        m = connect("starttls", int(sys.argv[1])); login(m)
        out["status"] = call(m, "status", "Play", "(MAILBOXID)")
        out["select"] = call(m, "select", "INBOX")
        out["ids"] = call(m, "fetch", "1:*", "(EMAILID)")
        out["search"] = call(m, "search", None, "EMAILID", sys.argv[2])
        out["examine"] = call(m, "select", "Play", True)
        out["moved"] = call(m, "fetch", "1", "(EMAILID)")
        m.logout()
        done()
        """#, ["\(server.imapStartTLSPort)", original[2]])
        #expect(ids("MAILBOXID", second["status"]) == work, "after the restart")
        #expect(ids("MAILBOXID", second["select"]) == inbox)
        #expect(ids("EMAILID", second["ids"]) == [original[0], original[2]])
        #expect(second["search"]?.data == ["2"], "\(String(describing: second["search"]))")
        #expect(ids("MAILBOXID", second["examine"]) == work)
        #expect(ids("EMAILID", second["moved"]) == [original[1]])
    }
}
