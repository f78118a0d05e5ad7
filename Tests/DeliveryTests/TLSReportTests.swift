@testable import Delivery
import Foundation
import Testing

@Suite("TLS-RPT (RFC 8460): report addresses, counting, day files")
struct TLSReportTests {
    @Test("rua takes mailto: addresses only; a record that is not TLSRPTv1 is none", arguments: [
        ("v=TLSRPTv1; rua=mailto:reports@example.net", ["reports@example.net"]),
        ("v=TLSRPTv1;rua=mailto:a@example.net,mailto:b%40x@example.net, https://r.example/x", ["a@example.net", "b@x@example.net"]),
        ("v=TLSRPTv1; rua=https://r.example/x", []),
        ("v=spf1 -all", nil),
    ] as [(String, [String]?)])
    func addresses(record: String, expected: [String]?) {
        #expect(TLSReportMessage.reportAddresses(in: record) == expected)
    }

    @Test("sessions are counted per domain and policy; flushed counts merge into the day file; complete days are listed")
    func counting() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let collector = TLSReportCollector(queueDirectory: directory.path)
        let day1 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15
        let session = TLSReportSession(domain: "d.example", policyType: "tlsa", policyStrings: ["3 1 1 ab"],
                                       mxHost: "mx.d.example", ip: "192.0.2.1", failure: nil)
        collector.record(session, at: day1)
        try collector.flush()
        var failed = session
        failed.failure = "validation-failure"
        collector.record(failed, at: day1)
        collector.record(failed, at: day1)
        collector.record(session, at: day1.addingTimeInterval(86400))
        try collector.flush()
        let stored = try #require(try collector.load(day: "2027-01-15"))
        let results = try #require(stored.domains["d.example"]?["tlsa"])
        #expect(results.successes == 1 && results.failureCount == 2 && results.policyStrings == ["3 1 1 ab"])
        #expect(try collector.completeDays(before: day1.addingTimeInterval(86400)) == ["2027-01-15"])
        #expect(try collector.completeDays(before: day1.addingTimeInterval(2 * 86400)) == ["2027-01-15", "2027-01-16"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TLSReportMessage(
            submitter: "mail.example.org", contact: "postmaster@example.org", domain: "d.example", day: stored, now: day1).json())) as? [String: Any])
        let range = json["date-range"] as? [String: String]
        #expect(range?["start-datetime"] == "2027-01-15T00:00:00Z" && range?["end-datetime"] == "2027-01-15T23:59:59Z")
        try collector.remove(day: "2027-01-15")
        #expect(try collector.load(day: "2027-01-15") == nil)
    }
}
