@testable import Delivery
import Foundation
import MailStore
import Testing

@Suite("Local delivery and the quota: counted as it lands, full mailboxes skipped")
struct DeliveryQuotaTests {
    static let message = Array("From: alice@example.org\r\nSubject: hi\r\n\r\nhello\r\n".utf8)

    @Test func aDeliveryIsCountedInEachMaildirsizeAndSkippedMaildirsGetNothing() throws {
        let fixture = try SubmissionDeliveryTests.Fixture()
        defer { fixture.directory.remove() }
        let limits = QuotaLimits(storage: 1_000_000, messages: 10)
        // Both users have a count already (the first check made it).
        for maildir in [fixture.bob, fixture.carol] {
            _ = try Maildir.open(path: maildir, create: true)
            #expect(try MaildirQuota(root: maildir, limits: limits).usage() == .zero)
        }
        var envelope = try fixture.envelope()
        envelope.remoteRecipients = []
        let transaction = try fixture.delivery.begin(envelope)
        try transaction.write(Self.message)
        _ = try transaction.commit(skipping: [fixture.carol])
        let one = QuotaUsage(storage: Int64(Self.message.count), messages: 1)
        #expect(try MaildirQuota(root: fixture.bob, limits: limits).usage() == one)
        #expect(try fixture.messages(in: fixture.bob).count == 1)
        #expect(try MaildirQuota(root: fixture.carol, limits: limits).usage() == .zero)
        #expect(try fixture.messages(in: fixture.carol).isEmpty)
        // The count was kept by appending, and agrees with a recount.
        let text = try String(contentsOfFile: fixture.bob + "/maildirsize", encoding: .utf8)
        #expect(text == "1000000S,10C\n0 0\n\(Self.message.count) 1\n")
        #expect(try MaildirQuota(root: fixture.bob, limits: limits).recalculate() == one)
    }
}
