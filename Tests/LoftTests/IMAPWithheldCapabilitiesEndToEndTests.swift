import Auth
import Config
import Foundation
import IMAP
import Testing

/// An admin withholds IMAP extensions from clients that misuse them: per listener in the config,
/// per user in the passwd-file. Real `loft serve`, Python's imaplib.
@Suite(.serialized) struct IMAPWithheldCapabilitiesEndToEndTests {
    @Test("withhold_capabilities on a listener and imap_withhold_capabilities for a user reach imaplib")
    func withheld() async throws {
        let server = try LoftProcess(listeners: [("imap", "starttls")], extraConfig: """

            [[listener]]
            protocol = "imap"
            address = "127.0.0.1:0"
            tls = "implicit"
            withhold_capabilities = ["QRESYNC", "IDLE"]

            """)
        defer { server.cleanUpNow() }
        // The eighth passwd-file field holds Dovecot-style extra fields.
        let bobLine = "bob:\(try PasswordHash.make(password: LoftProcess.password))::::::imap_withhold_capabilities=CONDSTORE\n"
        let passwd = try FileHandle(forWritingTo: URL(fileURLWithPath: server.passwdPath))
        passwd.seekToEndOfFile()
        passwd.write(Data(bobLine.utf8))
        try passwd.close()
        try await server.start(expectedListeners: 2)

        let r = try await PythonIMAP.replies(#"""
        implicit, starttls, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        m = connect("ssl", implicit)
        out["listener_greeting"] = value(" ".join(text(c) for c in m.capabilities))
        login(m)
        out["listener_after_login"] = call(m, "capability")
        out["listener_enable"] = call(m, "enable", "QRESYNC")
        m.logout()
        a = connect("starttls", starttls)
        login(a)
        out["alice"] = call(a, "capability")
        a.logout()
        b = connect("starttls", starttls)
        b.login("bob", password)
        out["bob"] = call(b, "capability")
        out["bob_status"] = call(b, "status", "INBOX", "(MESSAGES HIGHESTMODSEQ)")
        out["bob_plain_status"] = call(b, "status", "INBOX", "(MESSAGES)")
        b.logout()
        done()
        """#, ["\(server.imapImplicitPort)", "\(server.imapStartTLSPort)", LoftProcess.password])

        func names(_ reply: PythonIMAP.Reply?) -> Set<Substring> { Set((reply?.data.first ?? "").split(separator: " ")) }
        let greeting = Set((r["listener_greeting"]?.typ ?? "").split(separator: " "))
        #expect(greeting.contains("CONDSTORE") && !greeting.contains("QRESYNC") && !greeting.contains("IDLE"))
        let listener = names(r["listener_after_login"])
        #expect(listener.contains("CONDSTORE") && listener.contains("MOVE"))
        #expect(!listener.contains("QRESYNC") && !listener.contains("IDLE"))
        #expect(r["listener_enable"]?.ok == true)
        #expect(r["listener_enable"]?.lines.contains("* ENABLED") == true, "\(String(describing: r["listener_enable"]))")
        let alice = names(r["alice"])
        #expect(alice.contains("QRESYNC") && alice.contains("IDLE") && alice.contains("CONDSTORE"), "the other listener withholds nothing")
        let bob = names(r["bob"])
        #expect(!bob.contains("CONDSTORE") && !bob.contains("QRESYNC") && bob.contains("IDLE"))
        #expect(r["bob_status"]?.ok == false)
        #expect(r["bob_status"]?.lines.last?.contains("BAD CONDSTORE is not offered on this connection.") == true,
                "\(String(describing: r["bob_status"]))")
        #expect(r["bob_plain_status"]?.ok == true, "the session goes on")
    }

    @Test("the config accepts exactly the extensions the IMAP session can withhold")
    func sameNames() {
        #expect(ListenerConfiguration.withholdableIMAPCapabilities == IMAPSession.withholdableCapabilities)
    }
}
