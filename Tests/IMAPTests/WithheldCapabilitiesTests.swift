import IMAP
import LineProtocol
import Testing

/// Capabilities an admin withholds per listener or per user: not advertised, not enabled, and a
/// command that would turn CONDSTORE on gets BAD.
@Suite struct WithheldCapabilitiesTests {
    private func capabilityLine(_ text: String) -> Set<Substring> {
        guard let line = text.split(separator: "\r\n").first(where: { $0.hasPrefix("* CAPABILITY ") }) else { return [] }
        return Set(line.split(separator: " ").dropFirst(2))
    }

    @Test("a listener that withholds QRESYNC, IDLE and APPENDLIMIT advertises none of them, before and after login")
    func listenerWithholds() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend, withheld: ["QRESYNC", "IDLE", "APPENDLIMIT"])
        defer { session.close() }
        let greeting = session.output()
        #expect(greeting.hasPrefix("* OK [CAPABILITY IMAP4rev1 "))
        #expect(!greeting.contains("QRESYNC") && !greeting.contains(" IDLE") && !greeting.contains("APPENDLIMIT"))
        #expect(greeting.contains("CONDSTORE"))
        let before = capabilityLine(try session.send("c CAPABILITY\r\n"))
        #expect(before.contains("CONDSTORE") && before.contains("MOVE") && !before.contains("QRESYNC") && !before.contains("IDLE"))
        #expect(!before.contains { $0.hasPrefix("APPENDLIMIT") })
        let login = try session.send("l LOGIN alice \(TemporaryMailBackend.password)\r\n")
        #expect(login.contains("l OK [CAPABILITY IMAP4rev1 ") && !login.contains("QRESYNC") && !login.contains("APPENDLIMIT"))
        // RFC 5161 §3.1: ENABLE names only what it enabled; a withheld extension is not.
        let enable = try session.send("e ENABLE QRESYNC CONDSTORE\r\n")
        #expect(enable.contains("* ENABLED CONDSTORE\r\n"))
        #expect(enable.contains("e OK"))
        #expect(try session.send("s SELECT INBOX (QRESYNC (1 1))\r\n").contains("s BAD"))
    }

    @Test("withholding CONDSTORE for a user withholds QRESYNC too; a command that uses CONDSTORE gets BAD and changes nothing")
    func userWithholdsCondStore() throws {
        let backend = try TemporaryMailBackend(withheldForUser: ["CONDSTORE"])
        defer { backend.remove() }
        try backend.deliver("Subject: one\r\n\r\nbody\r\n")
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        #expect(session.output().contains("CONDSTORE"), "before login the user is not known")
        try session.login()
        let after = capabilityLine(try session.send("c CAPABILITY\r\n"))
        #expect(!after.contains("CONDSTORE") && !after.contains("QRESYNC"))
        #expect(after.contains("ENABLE") && after.contains("ESEARCH"))
        #expect(try session.send("e ENABLE CONDSTORE QRESYNC\r\n").contains("* ENABLED\r\n"))
        #expect(try session.send("s1 SELECT INBOX (CONDSTORE)\r\n").contains("s1 BAD"))
        let select = try session.send("s2 SELECT INBOX\r\n")
        #expect(select.contains("s2 OK") && !select.contains("HIGHESTMODSEQ"))
        #expect(try session.send("f FETCH 1 (FLAGS MODSEQ)\r\n").contains("f BAD"))
        #expect(try session.send("g FETCH 1 (FLAGS) (CHANGEDSINCE 1)\r\n").contains("g BAD"))
        let store = try session.send("t STORE 1 (UNCHANGEDSINCE 99) +FLAGS (\\Flagged)\r\n")
        #expect(store.contains("t BAD") && !store.contains("\\Flagged"))
        #expect(try session.send("u SEARCH MODSEQ 1\r\n").contains("u BAD"))
        #expect(try session.send("v STATUS INBOX (HIGHESTMODSEQ)\r\n").contains("v BAD"))
        let fetch = try session.send("h FETCH 1 (FLAGS)\r\n")
        #expect(fetch.contains("* 1 FETCH (FLAGS (") && !fetch.contains("MODSEQ") && !fetch.contains("\\Flagged"))
    }

    @Test("only extensions can be withheld; the list matches what Loft advertises")
    func withholdableNames() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        // A listener with COMPRESS (its layer is never built here) advertises every extension.
        let session = try IMAPHarness(backend: backend, compression: CompressionUpgrade { _ in nil })
        defer { session.close() }
        _ = session.output()
        let advertised = capabilityLine(try session.send("c CAPABILITY\r\n"))
        let extensions = Set(advertised.map { $0.hasPrefix("APPENDLIMIT=") ? "APPENDLIMIT" : $0.uppercased() })
            .subtracting(["IMAP4REV1", "STARTTLS", "LOGINDISABLED", "AUTH=PLAIN", "AUTH=LOGIN"])
        #expect(extensions == IMAPSession.withholdableCapabilities)
    }
}
