import Foundation
import TestSupport
import Testing

/// MTA-STS end to end: `dest.test` (DNSSEC-signed, without TLSA records so DANE cannot win) publishes an
/// `_mta-sts` TXT record and a policy host `mta-sts.dest.test` on 127.0.0.5:443 (Python's https server with a
/// certificate from the lab's CA, which Loft trusts through `[outbound_tls] ca_file`); the MX servers are
/// aiosmtpd on 127.0.0.2 (mx1) and 127.0.0.3 (mx2).
@Suite(.serialized) struct MTASTSEndToEndTests {
    static let id = "20240101T000000"

    static func lab(mxCertificateFromUnknownCA: Bool = false) throws -> OutboundLab {
        try OutboundLab(dane: false, destRecords: OutboundLab.mtaSTSRecords(id: id),
                        mxCertificateFromUnknownCA: mxCertificateFromUnknownCA)
    }

    @Test("enforce: an MX host the policy does not list is skipped, the listed one gets the mail over verified TLS")
    func enforceUsesListedMX() async throws {
        let lab = try Self.lab()
        defer { lab.cleanUp() }
        let policyHost = try lab.startPolicyServer(OutboundLab.policy(mode: "enforce", mx: ["mx2.dest.test"]))
        let mx1 = try lab.startMX("127.0.0.2")
        let mx2 = try lab.startMX("127.0.0.3")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let received = await mx2.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(received[0].envelope.tls == "TLSv1.3")
        try await lab.waitForEmptyQueue()
        #expect(mx1.received().isEmpty, "mx1 is not in the policy")
        let skipped = try await lab.waitForLog(containing: ["MX host skipped", "mx=mx1.dest.test"])
        #expect(skipped.contains("MTA-STS policy") && skipped.contains("mta-sts enforce (id \(Self.id))"), "\(skipped)")
        let attempt = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx2.dest.test", "delivered=1"])
        #expect(attempt.contains("policy=mta-sts enforce (id \(Self.id))"), "\(attempt)")
        #expect(attempt.contains("verification=verified (mx2.dest.test)"), "\(attempt)")
        #expect(policyHost.log.contains("GET /.well-known/mta-sts.txt host=mta-sts.dest.test"), "\(policyHost.log)")
        let cacheFile = lab.loft.directory.path + "/data/queue/mta-sts/dest.test.json"
        let cached = try String(contentsOfFile: cacheFile, encoding: .utf8)
        #expect(cached.contains("\"id\" : \"\(Self.id)\"") && cached.contains("mx2.dest.test"), "\(cached)")
    }

    @Test("enforce: MX certificates from an unknown CA: nothing is delivered, the message waits with 4.7.5")
    func enforceRefusesUnknownCA() async throws {
        let lab = try Self.lab(mxCertificateFromUnknownCA: true)
        defer { lab.cleanUp() }
        try lab.startPolicyServer(OutboundLab.policy(mode: "enforce", mx: ["*.dest.test"]))
        let mx1 = try lab.startMX("127.0.0.2")
        let mx2 = try lab.startMX("127.0.0.3")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let first = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx1.dest.test", "deferred=1"])
        #expect(first.contains("policy=mta-sts enforce (id \(Self.id))") && first.contains("certificate verification failed"), "\(first)")
        _ = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx2.dest.test", "deferred=1"])
        _ = try await lab.waitForLog(containing: ["queue entry deferred"])
        #expect(mx1.received().isEmpty && mx2.received().isEmpty)
        let list = try await lab.queue("list")
        #expect(list.output.contains("bob@dest.test") && list.output.contains("4.7.5"), "\(list.output)")
    }

    @Test("testing: delivered anyway, with a log line saying what enforcing would have refused")
    func testingDelivers() async throws {
        let lab = try Self.lab(mxCertificateFromUnknownCA: true)
        defer { lab.cleanUp() }
        try lab.startPolicyServer(OutboundLab.policy(mode: "testing", mx: ["*.dest.test"]))
        let mx1 = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let received = await mx1.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
        let attempt = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx1.dest.test", "delivered=1"])
        #expect(attempt.contains("policy=may, mta-sts testing (id \(Self.id))"), "\(attempt)")
        let warning = try await lab.waitForLog(containing: ["MTA-STS testing", "mx=mx1.dest.test"])
        #expect(warning.contains("the certificate is not valid for mx1.dest.test"), "\(warning)")
    }

    @Test("the policy host is down and the record's id has changed: the cached policy is still enforced, after a restart too")
    func cachedPolicyWhenServerDown() async throws {
        let lab = try Self.lab()
        defer { lab.cleanUp() }
        let policyHost = try lab.startPolicyServer(OutboundLab.policy(mode: "enforce", mx: ["mx2.dest.test"]))
        let mx1 = try lab.startMX("127.0.0.2")
        let mx2 = try lab.startMX("127.0.0.3")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        #expect(await mx2.waitForMessages(1).count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()

        _ = await lab.loft.stop()
        policyHost.stop()
        try lab.replaceDestRecords(OutboundLab.mtaSTSRecords(id: "20240202T000000"))
        try await lab.start()
        try await lab.submit(to: ["carol@dest.test"])
        let received = await mx2.waitForMessages(2)
        try #require(received.count == 2, "\(lab.loft.log)")
        #expect(received[1].envelope.rcptTos == ["carol@dest.test"])
        try await lab.waitForEmptyQueue()
        #expect(mx1.received().isEmpty, "the cached policy still lists only mx2")
        let failed = try await lab.waitForLog(containing: ["MTA-STS policy fetch failed", "domain=dest.test"])
        #expect(failed.contains("id=20240202T000000") && failed.contains("keeping the cached policy"), "\(failed)")
        let attempt = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx2.dest.test", "delivered=1"])
        #expect(attempt.contains("policy=mta-sts enforce (id \(Self.id))"), "\(attempt)")
    }

    @Test("a redirect from the policy host is not followed: no policy, delivered as without MTA-STS")
    func redirectMeansNoPolicy() async throws {
        let lab = try Self.lab(mxCertificateFromUnknownCA: true)
        defer { lab.cleanUp() }
        let policyHost = try lab.startPolicyServer(.redirect(to: "https://mta-sts.dest.test/elsewhere/mta-sts.txt"))
        let mx1 = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        #expect(await mx1.waitForMessages(1).count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
        let failed = try await lab.waitForLog(containing: ["MTA-STS policy fetch failed", "domain=dest.test"])
        #expect(failed.contains("redirects are not followed") && failed.contains("no policy applies"), "\(failed)")
        let attempt = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx1.dest.test", "delivered=1"])
        #expect(attempt.contains("policy=may ") || attempt.hasSuffix("policy=may"), "\(attempt)")
        #expect(!attempt.contains("mta-sts"), "\(attempt)")
        #expect(policyHost.requestCount == 1, "\(policyHost.log)")
        #expect(!FileManager.default.fileExists(atPath: lab.loft.directory.path + "/data/queue/mta-sts/dest.test.json"))
    }
}
