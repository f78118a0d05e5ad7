import Foundation
import Testing

/// UTF8=ACCEPT (RFC 9755) and IMAP4rev2 (RFC 9051) against a real `loft serve`, with imaplib
/// (which switches to UTF-8 after `enable("UTF8=ACCEPT")`) and a raw socket client, on 143 and 993.
@Suite(.serialized) struct IMAPUTF8EndToEndTests {
    /// Response lines as UTF-8 (the prelude keeps bytes as Latin-1 text).
    static let utf8Lines = #"""
    def u(reply):
        reply["lines"] = [l.encode("latin-1").decode("utf-8", "replace") for l in reply["lines"]]
        reply["data"] = [d.encode("latin-1").decode("utf-8", "replace") for d in reply["data"]]
        return reply

    """#

    @Test("a UTF-8 folder made after ENABLE UTF8=ACCEPT, a UTF8 (~{n}) APPEND into it, and a modified UTF-7 view for IMAP4rev1")
    func utf8Accept() async throws {
        let server = try LoftProcess(listeners: [("imap", "starttls"), ("imap", "implicit")])
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 2)
        for (index, (mode, port)) in [("starttls", server.imapStartTLSPort), ("ssl", server.imapImplicitPort)].enumerated() {
            let folder = index == 0 ? "Küche" : "日本語"
            let r = try await PythonIMAP.replies(Self.utf8Lines + #"""
            port, mode, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            m = connect(mode, port); login(m)
            out["capability"] = call(m, "capability")
            out["enable"] = call(m, "enable", "UTF8=ACCEPT")
            out["create"] = call(m, "create", '"' + folder + '"')
            out["list"] = u(call(m, "list", '""', '"*"'))
            m.logout()
            # imaplib wraps the message in "UTF8 (" inside its literal, so the APPEND goes over a raw socket.
            r = Raw(port, mode)
            r.login()
            r.cmd("E", "ENABLE UTF8=ACCEPT")
            message = "From: jörg@example.com\r\nSubject: Grüße aus " + folder + "\r\n\r\nHallo\r\n"
            body = message.encode()
            r.send(('A APPEND "' + folder + '" UTF8 (~{%d}\r\n' % len(body)).encode())
            out["continue"] = raw([r.line()])
            r.send(body + b")\r\n")
            out["append"] = raw(r.until("A"))
            r.send(('S SELECT "' + folder + '"\r\n').encode())
            out["select"] = u(raw(r.until("S")))
            out["fetch"] = u(raw(r.cmd("F", "FETCH 1 (BODY.PEEK[])")))
            r.send('X SEARCH CHARSET ISO-8859-1 SUBJECT "x"\r\n'.encode())
            out["charset"] = raw(r.until("X"))
            r.send('Y SEARCH SUBJECT "grüße"\r\n'.encode())
            out["search"] = raw(r.until("Y"))
            r.close()
            # A client that never enabled anything sees the name in modified UTF-7.
            old = connect(mode, port); login(old)
            out["old-list"] = call(old, "list", '""', '"*"')
            old.logout()
            done()
            """#, ["\(port)", mode, folder])
            #expect(r["capability"]?.data.first?.contains("UTF8=ACCEPT") == true, "\(mode)")
            #expect(r["enable"]?.lines.contains("* ENABLED UTF8=ACCEPT") == true, "\(mode): \(String(describing: r["enable"]))")
            #expect(r["create"]?.ok == true, "\(mode): \(String(describing: r["create"]))")
            #expect(r["list"]?.lines.contains { $0.hasSuffix(" \".\" \"\(folder)\"") } == true, "\(mode): \(String(describing: r["list"]))")
            #expect(r["continue"]?.lines.first?.hasPrefix("+") == true)
            #expect(r["append"]?.tagged.hasPrefix("A OK [APPENDUID ") == true, "\(mode): \(String(describing: r["append"]))")
            #expect(r["select"]?.tagged.hasPrefix("S OK [READ-WRITE]") == true, "\(mode): \(String(describing: r["select"]))")
            let fetched = r["fetch"]?.lines.first ?? ""
            #expect(fetched.contains("Subject: Grüße aus \(folder)\r\n") && fetched.contains("From: jörg@example.com"),
                    "\(mode): the message is stored byte for byte: \(fetched)")
            #expect(r["charset"]?.tagged.hasPrefix("X BAD [BADCHARSET (UTF-8)]") == true, "\(mode): \(String(describing: r["charset"]))")
            #expect(r["search"]?.lines.contains("* SEARCH 1") == true, "\(mode): \(String(describing: r["search"]))")
            let expectedOld = index == 0 ? "K&APw-che" : "&ZeVnLIqe-"
            #expect(r["old-list"]?.lines.contains { $0.hasSuffix(" \".\" \"\(expectedOld)\"") } == true,
                    "\(mode): \(String(describing: r["old-list"]))")
        }
    }

    @Test("ENABLE IMAP4rev2: SELECT with LIST and no RECENT, SEARCH as ESEARCH, UTF-8 names; IMAP4rev1 otherwise")
    func imap4rev2() async throws {
        let server = try LoftProcess(listeners: [("imap", "starttls"), ("imap", "implicit")])
        defer { server.cleanUpNow() }
        for subject in ["report", "hello", "report"] {
            try server.deliverToAlice(Array("From: bob@example.org\r\nSubject: \(subject)\r\n\r\nbody\r\n".utf8))
        }
        try await server.start(expectedListeners: 2)
        for (mode, port) in [("starttls", server.imapStartTLSPort), ("ssl", server.imapImplicitPort)] {
            let r = try await PythonIMAP.replies(Self.utf8Lines + #"""
            port, mode = int(sys.argv[1]), sys.argv[2]
            r = Raw(port, mode)
            out["capability"] = raw(r.cmd("C", "CAPABILITY"))
            r.login()
            out["rev1-select"] = raw(r.cmd("A", "EXAMINE INBOX"))
            out["rev1-search"] = raw(r.cmd("B", "SEARCH SUBJECT report"))
            out["enable"] = raw(r.cmd("E", "ENABLE IMAP4rev2"))
            out["select"] = raw(r.cmd("S", "SELECT INBOX"))
            out["search"] = raw(r.cmd("T", "SEARCH SUBJECT report"))
            out["uid-search"] = raw(r.cmd("U", "UID SEARCH SUBJECT nothing"))
            r.send(('N CREATE "Ποδόσφαιρο-' + mode + '"\r\n').encode())
            out["create"] = raw(r.until("N"))
            out["list"] = u(raw(r.cmd("L", 'LIST "" "*"')))
            r.close()
            done()
            """#, ["\(port)", mode])
            #expect(r["capability"]?.lines.first?.hasPrefix("* CAPABILITY IMAP4rev1 IMAP4rev2 ") == true, "\(mode)")
            let rev1Select = r["rev1-select"]?.lines ?? []
            #expect(rev1Select.contains("* 0 RECENT") && rev1Select.contains { $0.hasPrefix("* OK [UNSEEN 1]") }, "\(mode): \(rev1Select)")
            #expect(r["rev1-search"]?.lines.contains("* SEARCH 1 3") == true, "\(mode): \(String(describing: r["rev1-search"]))")
            #expect(r["enable"]?.lines.first == "* ENABLED IMAP4rev2", "\(mode)")
            let select = r["select"]?.lines ?? []
            #expect(select.contains("* OK [CLOSED] Previous mailbox closed."), "\(mode): \(select)")
            #expect(select.contains("* LIST (\\HasNoChildren) \".\" \"INBOX\""), "\(mode): \(select)")
            #expect(!select.contains { $0.hasSuffix(" RECENT") || $0.contains("[UNSEEN ") }, "\(mode): \(select)")
            #expect(r["search"]?.lines == ["* ESEARCH (TAG \"T\") ALL 1,3", "T OK SEARCH completed."], "\(mode)")
            #expect(r["uid-search"]?.lines == ["* ESEARCH (TAG \"U\") UID", "U OK SEARCH completed."], "\(mode)")
            #expect(r["create"]?.typ == "OK", "\(mode): \(String(describing: r["create"]))")
            #expect(r["list"]?.lines.contains { $0.hasSuffix(" \".\" \"Ποδόσφαιρο-\(mode)\"") } == true, "\(mode): \(String(describing: r["list"]))")
        }
    }
}
