import Foundation
import Testing

/// SEARCHRES (RFC 5182) against a real `loft serve` with imaplib, on 143 and 993.
@Suite(.serialized) struct IMAPSearchResEndToEndTests {
    @Test("SEARCH RETURN (SAVE) then FETCH $, UID STORE $ and MOVE $ on both ports")
    func savedResult() async throws {
        let server = try LoftProcess(listeners: [("imap", "starttls"), ("imap", "implicit")])
        defer { server.cleanUpNow() }
        for index in 1...4 {
            try server.deliverToAlice(Array("From: bob@example.org\r\nSubject: \(index.isMultiple(of: 2) ? "report" : "hello") \(index)\r\n\r\nbody\r\n".utf8))
        }
        try await server.start(expectedListeners: 2)
        for (mode, port) in [("starttls", server.imapStartTLSPort), ("ssl", server.imapImplicitPort)] {
            let r = try await PythonIMAP.replies(#"""
            imaplib.Commands["MOVE"] = ("SELECTED",)  # imaplib has no MOVE method (RFC 6851)
            m = connect(sys.argv[2], int(sys.argv[1])); login(m)
            out["capability"] = call(m, "capability")
            out["select"] = call(m, "select", "INBOX")
            out["expected"] = call(m, "search", None, "SUBJECT", "report")
            out["save"] = call(m, "search", None, "RETURN", "(SAVE)", "SUBJECT", "report")
            out["fetch"] = call(m, "fetch", "$", "(UID)")
            out["store"] = call(m, "uid", "STORE", "$", "+FLAGS", r"(\Flagged)")
            out["move"] = call(m, "_simple_command", "MOVE", "$", "Archive")
            out["left"] = call(m, "search", None, "ALL")
            m.logout()
            done()
            """#, ["\(port)", mode])
            #expect(r["capability"]?.data.first?.contains("SEARCHRES") == true, "\(mode)")
            #expect(r["save"]?.ok == true && r["save"]?.untagged.isEmpty == true, "\(mode): \(String(describing: r["save"]))")
            let expected = (r["expected"]?.data.first ?? "").split(separator: " ").map(String.init)
            #expect(expected.count == 2)
            let fetched = (r["fetch"]?.data ?? []).map { String($0.prefix { $0 != " " }) }
            #expect(fetched == expected, "\(mode): \(String(describing: r["fetch"]))")
            #expect(r["store"]?.ok == true)
            #expect(r["move"]?.ok == true, "\(mode): \(String(describing: r["move"]))")
            #expect(r["left"]?.data.first?.split(separator: " ").count == 2,
                    "\(mode): the two reports moved to Archive: \(String(describing: r["left"]))")
            if mode == "starttls" {
                // Put them back for the second port's run.
                let back = try await PythonIMAP.replies(#"""
                imaplib.Commands["MOVE"] = ("SELECTED",)
                m = connect("ssl", int(sys.argv[1])); login(m)
                m.select("Archive")
                out["back"] = call(m, "_simple_command", "MOVE", "1:*", "INBOX")
                m.logout()
                done()
                """#, ["\(server.imapImplicitPort)"])
                #expect(back["back"]?.ok == true)
            }
        }
    }
}
