import IMAP
import Testing

/// RFC 9585 for SORT and THREAD: they read headers in the same chunks as SEARCH and say how far they got.
@Suite struct SortProgressTests {
    @Test("SORT (DATE) and THREAD over 2,100 messages report INPROGRESS after each 1,000; ARRIVAL alone is one job")
    func progress() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        // Sent on 28 different days, in an order unlike the mailbox's.
        for n in 1...2100 {
            try backend.deliver("Date: \(n * 11 % 28 + 1) Jan 2001 10:00:00 +0000\r\nSubject: m\r\n\r\nx\r\n")
        }
        var limits = IMAPLimits()
        limits.searchProgressInterval = .zero
        let session = try IMAPHarness(backend: backend, limits: limits)
        defer { session.close() }
        try session.login()
        #expect(try session.send("a SELECT INBOX\r\n").contains("* 2100 EXISTS"))
        let lines = try session.send("s SORT (DATE) UTF-8 ALL\r\n").split(separator: "\r\n").map(String.init)
        #expect(lines.count == 4, "\(lines.map { $0.prefix(80) })")
        #expect(lines.first == #"* OK [INPROGRESS ("s" 1000 2100)] Searched 1000 of 2100 messages."#)
        #expect(lines.dropFirst().first == #"* OK [INPROGRESS ("s" 2000 2100)] Searched 2000 of 2100 messages."#)
        let sorted = lines.dropFirst(2).first?.split(separator: " ").dropFirst(2).compactMap { Int($0) } ?? []
        #expect(sorted.count == 2100 && Set(sorted).count == 2100)
        // Day 1 first: n * 11 % 28 == 0, i.e. n = 28, 56, ...; ties in mailbox order.
        #expect(sorted.prefix(3) == [28, 56, 84])
        #expect(lines.last == "s OK SORT completed.")
        let thread = try session.send("t THREAD ORDEREDSUBJECT UTF-8 ALL\r\n")
        #expect(thread.components(separatedBy: "INPROGRESS").count == 3 && thread.contains("t OK THREAD completed."))
        let arrival = try session.send("r SORT (ARRIVAL) UTF-8 ALL\r\n")
        #expect(!arrival.contains("INPROGRESS") && arrival.contains("r OK"))
    }
}
