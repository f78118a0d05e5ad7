import Foundation
import Testing

/// `loft queue list | show | retry | delete | bounce` on a running server's spool.
@Suite(.serialized) struct QueueCommandEndToEndTests {
    /// A lab whose queue waits an hour between attempts, with one message to bob@dest.test deferred once
    /// (no MX listening). Returns the lab and the entry's id.
    static func deferredMessage() async throws -> (OutboundLab, String) {
        let lab = try OutboundLab(retryAfter: "1h")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        _ = try await lab.waitForLog(containing: ["queue entry deferred", "attempts=1"])
        let id = try #require(lab.queuedEntries.first).replacingOccurrences(of: ".json", with: "")
        return (lab, id)
    }

    @Test("list and show say what waits, for whom, and why")
    func listAndShow() async throws {
        let (lab, id) = try await Self.deferredMessage()
        defer { lab.cleanUp() }
        let list = try await lab.queue("list")
        #expect(list.status == 0)
        #expect(list.output.contains(id) && list.output.contains("<alice@example.org>"), "\(list.output)")
        #expect(list.output.contains("bob@dest.test") && list.output.contains("4.4.1"), "\(list.output) \(lab.loft.log)")
        #expect(list.output.contains("1 message, 1 pending recipient"), "\(list.output)")
        let show = try await lab.queue("show", id)
        #expect(show.output.contains("attempts:    1") && show.output.contains("Subject: outbound"), "\(show.output)")
        #expect(!show.output.contains("leading dot"), "show prints the header, not the body: \(show.output)")
        #expect(show.output.contains("pending; last try"), "\(show.output)")
        let missing = try await lab.queue("show", "NOSUCHID")
        #expect(missing.status != 0 && missing.errors.contains("no queue entry NOSUCHID"), "\(missing.errors)")
    }

    @Test("retry makes the running server try at once instead of in an hour")
    func retry() async throws {
        let (lab, id) = try await Self.deferredMessage()
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        let result = try await lab.queue("retry", id)
        #expect(result.status == 0 && result.output.contains("will be tried again now"), "\(result.output) \(result.errors)")
        let received = await mx.waitForMessages(1, timeout: .seconds(30))
        #expect(received.count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
    }

    @Test("bounce returns the message to its sender with a DSN; delete removes one silently")
    func bounceAndDelete() async throws {
        let (lab, id) = try await Self.deferredMessage()
        defer { lab.cleanUp() }
        let bounced = try await lab.queue("bounce", id)
        #expect(bounced.status == 0, "\(bounced.errors)")
        let report = try #require(try await lab.waitForAliceMessages(1).first)
        #expect(report.contains("Action: failed") && report.contains("administrator"), "\(report)")
        try await lab.waitForEmptyQueue()

        try await lab.submit(to: ["bob@dest.test"])
        _ = try await lab.waitForLog(containing: ["queue entry deferred", "attempts=1"])
        let second = try #require(lab.queuedEntries.first).replacingOccurrences(of: ".json", with: "")
        let deleted = try await lab.queue("delete", second)
        #expect(deleted.status == 0 && deleted.output.contains("deleted"), "\(deleted.output) \(deleted.errors)")
        #expect(lab.queuedEntries.isEmpty)
        let empty = try await lab.queue("list")
        #expect(empty.output.contains("The queue is empty."))
        try await Task.sleep(for: .milliseconds(500))
        #expect(lab.aliceMessages().count == 1, "delete sends no report")
    }

    @Test("tls-memory lists what deliveries saw of each MX host and domain; forget removes an entry")
    func tlsMemory() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let empty = try await lab.tlsMemory("list")
        #expect(empty.output.contains("Nothing remembered yet"), "\(empty.output)")
        _ = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        try await lab.waitForEmptyQueue()
        let list = try await lab.tlsMemory("list")
        #expect(list.output.contains("mx1.dest.test  dane  seen 1x, not pinned yet"), "\(list.output)")
        #expect(list.output.contains("dest.test  dane"), "\(list.output)")
        let forget = try await lab.tlsMemory("forget", "mx1.dest.test")
        #expect(forget.status == 0, "\(forget.errors)")
        let after = try await lab.tlsMemory("list")
        #expect(!after.output.contains("mx1.dest.test") && after.output.contains("dest.test  dane"), "\(after.output)")
        let unknown = try await lab.tlsMemory("forget", "nowhere.test")
        #expect(unknown.status != 0 && unknown.errors.contains("nothing is remembered about nowhere.test"))
    }
}
