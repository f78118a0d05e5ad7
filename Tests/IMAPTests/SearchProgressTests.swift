import IMAP
import Testing

/// RFC 9585: a long SEARCH tells the client how far it got, between its disk jobs.
@Suite struct SearchProgressTests {
    @Test("a body SEARCH over 2,100 messages reports INPROGRESS after each 1,000, then the right answer")
    func progress() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        for n in 1...2100 {
            try backend.deliver("Subject: message \(n)\r\n\r\n\(n == 5 || n == 2050 ? "the needle is here" : "hay")\r\n")
        }
        var limits = IMAPLimits()
        limits.searchProgressInterval = .zero
        let session = try IMAPHarness(backend: backend, limits: limits)
        defer { session.close() }
        try session.login()
        #expect(try session.send("a SELECT INBOX\r\n").contains("* 2100 EXISTS"))

        let lines = try session.send("s UID SEARCH BODY needle\r\n").split(separator: "\r\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first == #"* OK [INPROGRESS ("s" 1000 2100)] Searched 1000 of 2100 messages."#)
        #expect(lines.dropFirst().first == #"* OK [INPROGRESS ("s" 2000 2100)] Searched 2000 of 2100 messages."#)
        #expect(lines.dropFirst(2).first == "* SEARCH 5 2050")
        #expect(lines.last?.hasPrefix("s OK") == true)

        // ESEARCH over the same chunks; a search on flags alone is one job and reports nothing.
        let extended = try session.send("e SEARCH RETURN (COUNT MIN) BODY needle\r\n")
        #expect(extended.contains(#"* ESEARCH (TAG "e") MIN 5 COUNT 2"#))
        #expect(extended.components(separatedBy: "INPROGRESS").count == 3)
        let flags = try session.send("f SEARCH UNSEEN\r\n")
        #expect(!flags.contains("INPROGRESS") && flags.contains("f OK"))
    }

    @Test("a search shorter than the interval (10 s by default) reports no progress")
    func quickSearch() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        for n in 1...1500 { try backend.deliver("Subject: m \(n)\r\n\r\nbody \(n)\r\n") }
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        try session.login()
        _ = try session.send("a SELECT INBOX\r\n")
        let answer = try session.send("s SEARCH BODY \"body 1499\"\r\n")
        #expect(!answer.contains("INPROGRESS"))
        #expect(answer.contains("* SEARCH 1499\r\n"))
    }
}
