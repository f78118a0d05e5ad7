import Foundation
import Testing

/// Outbound delivery end to end: mail submitted to Loft leaves through its queue to real SMTP servers
/// (aiosmtpd) found through a real DNSSEC-signed zone (nsd), under each TLS policy.
@Suite(.serialized) struct OutboundDeliveryEndToEndTests {
    @Test("DNSSEC-secure MX with a matching DANE-EE record: delivered over STARTTLS, DANE-verified, queue emptied")
    func daneDelivery() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(received[0].envelope.mailFrom == "alice@example.org")
        #expect(received[0].envelope.rcptTos == ["bob@dest.test"])
        #expect(received[0].envelope.tls == "TLSv1.3")
        let text = String(decoding: received[0].message, as: UTF8.self)
        #expect(text.hasSuffix(OutboundLab.message), "the message is relayed unchanged after Loft's trace header")
        #expect(text.hasPrefix("Received: "))
        try await lab.waitForEmptyQueue()
        let line = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx1.dest.test", "delivered=1"])
        #expect(line.contains("DANE verified (end entity)"), "\(line)")
        #expect(line.contains("dnssec=secure") && line.contains("ip=127.0.0.2"), "\(line)")
    }

    @Test("a TLSA record that does not match the MX certificate: nothing is sent, the message waits (4.7.x)")
    func daneMismatch() async throws {
        let lab = try OutboundLab(tlsa: "3 1 1 " + String(repeating: "00", count: 32))
        defer { lab.cleanUp() }
        let mx1 = try lab.startMX("127.0.0.2")
        let mx2 = try lab.startMX("127.0.0.3")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let line = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx2.dest.test", "deferred=1"])
        #expect(line.contains("TLSA"), "\(line)")
        #expect(mx1.received().isEmpty && mx2.received().isEmpty)
        #expect(lab.queuedEntries.count == 1)
        let list = try await lab.queue("list")
        #expect(list.output.contains("bob@dest.test") && list.output.contains("4.7."), "\(list.output)")
    }

    @Test("a bogus DNSSEC answer defers: no fallback to the unvalidated MX")
    func bogusDefers() async throws {
        let lab = try OutboundLab(corruptDestSignatures: true)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let line = try await lab.waitForLog(containing: ["destination lookup deferred", "dest.test"])
        #expect(line.contains("DNSSEC"), "\(line)")
        try await Task.sleep(for: .seconds(1))
        #expect(mx.received().isEmpty)
        #expect(lab.queuedEntries.count == 1)
    }

    @Test("an MX without STARTTLS gets the mail under the default policy (may), in plaintext")
    func plainMXUnderMay() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.4", tls: false)
        try await lab.start()
        try await lab.submit(to: ["carol@plain.test"])
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(received[0].envelope.tls == nil)
        try await lab.waitForEmptyQueue()
        let line = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx.plain.test"])
        #expect(line.contains("tls=none") && line.contains("dnssec=insecure"), "\(line)")
    }

    @Test("the same MX under an encrypt policy: refused, nothing sent in plaintext, the reason is queued")
    func plainMXUnderEncrypt() async throws {
        let lab = try OutboundLab(outboundTLS: """
            [[outbound_tls.policy]]
            domain = "plain.test"
            level = "encrypt"
            """)
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.4", tls: false)
        try await lab.start()
        try await lab.submit(to: ["carol@plain.test"])
        _ = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx.plain.test", "deferred=1"])
        #expect(mx.received().isEmpty)
        let show = try await lab.queue("show", try #require(lab.queuedEntries.first).replacingOccurrences(of: ".json", with: ""))
        #expect(show.output.contains("carol@plain.test") && show.output.contains("TLS"), "\(show.output)")
    }

    @Test("the first MX is down: the second one (preference 20) gets the mail")
    func secondMX() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let mx2 = try lab.startMX("127.0.0.3")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let received = await mx2.waitForMessages(1)
        #expect(received.count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
    }

    @Test("a null MX (RFC 7505): bounced at once, the DSN lands in the sender's Maildir")
    func nullMX() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        try await lab.start()
        try await lab.submit(to: ["nobody@nomail.test"])
        let reports = try await lab.waitForAliceMessages(1)
        let report = reports[0]
        #expect(report.contains("multipart/report") && report.contains("report-type=delivery-status"), "\(report)")
        #expect(report.contains("Final-Recipient: rfc822; nobody@nomail.test"), "\(report)")
        #expect(report.contains("Action: failed") && report.contains("Status: 5.1.10"), "\(report)")
        #expect(report.contains("Subject: outbound"), "the returned header is included")
        try await lab.waitForEmptyQueue()
    }

    @Test("451 after DATA once, then accepted at the retry a second later")
    func temporaryFailureThenSuccess() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        var behaviour = TestMX.Behaviour()
        behaviour.temporaryFailures = 1
        let mx = try lab.startMX("127.0.0.2", behaviour: behaviour)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let received = await mx.waitForMessages(1)
        #expect(received.count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
        let deferred = try await lab.waitForLog(containing: ["queue entry deferred", "attempts=1"])
        #expect(deferred.contains("pending=1"), "\(deferred)")
        #expect(lab.aliceMessages().isEmpty, "no delay notice or bounce for a short delay")
    }

    @Test("550 for one of two recipients: the other is delivered, the sender gets a DSN naming the refused one")
    func permanentFailureBounces() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        var behaviour = TestMX.Behaviour()
        behaviour.refuse = ["nobody@dest.test": "550 5.1.1 <nobody@dest.test>: no such user"]
        let mx = try lab.startMX("127.0.0.2", behaviour: behaviour)
        try await lab.start()
        try await lab.submit(
            to: ["bob@dest.test", "nobody@dest.test"], options: ["RET=HDRS", "ENVID=QQ314159"],
            recipientOptions: ["NOTIFY=FAILURE", "ORCPT=rfc822;nobody@dest.test"])
        let received = await mx.waitForMessages(1)
        #expect(received.first?.envelope.rcptTos == ["bob@dest.test"])
        let report = try #require(try await lab.waitForAliceMessages(1).first)
        #expect(report.contains("Final-Recipient: rfc822; nobody@dest.test"), "\(report)")
        #expect(report.contains("Status: 5.1.1") && report.contains("Action: failed"), "\(report)")
        #expect(report.contains("no such user") && report.contains("Remote-MTA: dns; mx1.dest.test"), "\(report)")
        #expect(report.contains("Original-Envelope-Id: QQ314159"), "\(report)")
        #expect(report.contains("Original-Recipient: rfc822;nobody@dest.test") || report.contains("Original-Recipient: rfc822; nobody@dest.test"), "\(report)")
        #expect(report.contains("text/rfc822-headers") && report.contains("Subject: outbound"), "\(report)")
        #expect(!report.contains(".a line with a leading dot"), "RET=HDRS: the body is not returned")
        #expect(!report.contains("bob@dest.test") || !report.contains("Final-Recipient: rfc822; bob@dest.test"))
        try await lab.waitForEmptyQueue()
    }

    @Test("the queue lifetime runs out while the MX keeps answering 4xx: the sender gets a failure DSN with the last error")
    func lifetimeExpiry() async throws {
        let lab = try OutboundLab(queueConfig: "queue_lifetime = \"3s\"")
        defer { lab.cleanUp() }
        var behaviour = TestMX.Behaviour()
        behaviour.dataReply = "452 4.2.2 mailbox full"
        _ = try lab.startMX("127.0.0.2", behaviour: behaviour)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let report = try #require(try await lab.waitForAliceMessages(1, timeout: .seconds(40)).first)
        #expect(report.contains("Action: failed") && report.contains("Status: 5.2.2"), "\(report)")
        #expect(report.contains("mailbox full"), "\(report)")
        try await lab.waitForEmptyQueue()
    }

    @Test("more entries due at once than the queue works on at a time (16): every one is delivered")
    func moreDueThanConcurrentAttempts() async throws {
        let lab = try OutboundLab(retryAfter: "1h")
        defer { lab.cleanUp() }
        try await lab.start()
        // 20 entries, each tried once while no MX listens, then made due together while Loft is down.
        let count = 20
        for _ in 0..<count { try await lab.submit(to: ["bob@dest.test"]) }
        let deadline = ContinuousClock.now + .seconds(60)
        while lab.loft.log.components(separatedBy: "queue entry deferred").count - 1 < count {
            try #require(ContinuousClock.now < deadline, "\(lab.loft.log)")
            try await Task.sleep(for: .milliseconds(50))
        }
        await lab.loft.stop()
        let retry = try await lab.queue("retry")
        #expect(retry.status == 0, "\(retry.errors)")
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        let received = await mx.waitForMessages(count, timeout: .seconds(60))
        #expect(received.count == count, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
    }

    @Test("SIGKILL while the MX holds the final reply loses nothing: after a restart the message is delivered")
    func crashDuringDelivery() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        var stalling = TestMX.Behaviour()
        stalling.stallAfterData = 60
        stalling.dataReply = "451 4.3.0 never stored"
        let stalled = try lab.startMX("127.0.0.2", behaviour: stalling)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let deadline = ContinuousClock.now + .seconds(30)
        while !stalled.log.contains("DATA-RECEIVED") {
            try #require(ContinuousClock.now < deadline, "the MX never got the message: \(lab.loft.log)")
            try await Task.sleep(for: .milliseconds(50))
        }
        lab.loft.signal(SIGKILL)
        _ = await lab.loft.stop()
        #expect(lab.queuedEntries.count == 1, "the entry survives the crash")
        lab.stopMX(stalled)
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        let received = await mx.waitForMessages(1)
        #expect(received.count == 1, "\(lab.loft.log)")
        try await lab.waitForEmptyQueue()
    }

    @Test("REQUIRETLS to a DANE-verified MX that does not offer REQUIRETLS: returned with 5.7.30, header only")
    func requireTLSNotOffered() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"], options: ["REQUIRETLS", "RET=FULL"])
        let report = try #require(try await lab.waitForAliceMessages(1).first)
        #expect(report.contains("Status: 5.7.30") && report.contains("Action: failed"), "\(report)")
        #expect(!report.contains("leading dot"), "RFC 8689 §5: the header only, whatever RET says")
        #expect(mx.received().isEmpty)
        try await lab.waitForEmptyQueue()
    }

    @Test("REQUIRETLS to an MX not found through DNSSEC: returned with 5.7.30 without connecting")
    func requireTLSInsecureMX() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.4")
        try await lab.start()
        try await lab.submit(to: ["carol@plain.test"], options: ["REQUIRETLS"])
        let report = try #require(try await lab.waitForAliceMessages(1).first)
        #expect(report.contains("Status: 5.7.30") && report.contains("DNSSEC"), "\(report)")
        #expect(mx.received().isEmpty)
    }

    @Test("TLS-Required: No: a DANE mismatch no longer holds the message; it still goes over STARTTLS")
    func tlsRequiredNo() async throws {
        let lab = try OutboundLab(tlsa: "3 1 1 " + String(repeating: "00", count: 32))
        defer { lab.cleanUp() }
        let mx = try lab.startMX("127.0.0.2")
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"], message: "TLS-Required: No\r\n" + OutboundLab.message)
        let received = await mx.waitForMessages(1)
        try #require(received.count == 1, "\(lab.loft.log)")
        #expect(received[0].envelope.tls == "TLSv1.3")
        let line = try await lab.waitForLog(containing: ["delivery attempt", "delivered=1"])
        #expect(line.contains("TLS-Required: No"), "\(line)")
    }

    @Test("an MX reachable only over IPv6 (AAAA ::1) gets the mail")
    func ipv6MX() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let mx = try lab.startMX("::1", tls: false)
        try await lab.start()
        try await lab.submit(to: ["dave@v6.test"])
        let received = await mx.waitForMessages(1)
        #expect(received.count == 1, "\(lab.loft.log)")
        let line = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx.v6.test"])
        #expect(line.contains("ip=::1"), "\(line)")
    }

    @Test("a smarthost with implicit TLS and AUTH takes mail for every domain; its certificate is verified")
    func relay() async throws {
        let lab = try OutboundLab(relay: ("127.0.0.10", "loft-relay", "relay secret"))
        defer { lab.cleanUp() }
        let certificate = try lab.ca.issue(ipAddresses: ["127.0.0.10"])
        var behaviour = TestMX.Behaviour()
        behaviour.implicitTLS = true
        behaviour.credentials = ("loft-relay", "relay secret")
        let relay = try lab.startMX("127.0.0.10", certificate: certificate, behaviour: behaviour)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test", "carol@plain.test"])
        let received = await relay.waitForMessages(2)
        try #require(received.count == 2, "\(lab.loft.log)")
        #expect(Set(received.flatMap(\.envelope.rcptTos)) == ["bob@dest.test", "carol@plain.test"])
        #expect(received.allSatisfy { $0.envelope.login == "loft-relay" && $0.envelope.tls == "TLSv1.3" })
        let line = try await lab.waitForLog(containing: ["delivery attempt", "policy=relay"])
        #expect(line.contains("verified"), "\(line)")
    }

    @Test("a smarthost whose certificate is not trusted gets nothing: the mail waits")
    func untrustedRelay() async throws {
        let lab = try OutboundLab(relay: ("127.0.0.10", "loft-relay", "relay secret"))
        defer { lab.cleanUp() }
        let certificate = try lab.ca.selfSigned(ipAddresses: ["127.0.0.10"])
        var behaviour = TestMX.Behaviour()
        behaviour.implicitTLS = true
        behaviour.credentials = ("loft-relay", "relay secret")
        let relay = try lab.startMX("127.0.0.10", certificate: certificate, behaviour: behaviour)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let line = try await lab.waitForLog(containing: ["delivery attempt", "policy=relay", "deferred=1"])
        #expect(line.contains("verification failed"), "\(line)")
        #expect(relay.received().isEmpty)
    }

    @Test("one delay notice after delay_notice_after while the MX keeps deferring; the message stays queued")
    func delayNotice() async throws {
        let lab = try OutboundLab(queueConfig: "delay_notice_after = \"2s\"")
        defer { lab.cleanUp() }
        var behaviour = TestMX.Behaviour()
        behaviour.dataReply = "451 4.3.0 try again later"
        _ = try lab.startMX("127.0.0.2", behaviour: behaviour)
        try await lab.start()
        try await lab.submit(to: ["bob@dest.test"])
        let notice = try #require(try await lab.waitForAliceMessages(1).first)
        #expect(notice.contains("Action: delayed") && notice.contains("Will-Retry-Until:"), "\(notice)")
        #expect(notice.contains("try again later"), "\(notice)")
        try await Task.sleep(for: .seconds(3))
        #expect(lab.aliceMessages().count == 1, "one notice only")
        #expect(lab.queuedEntries.count == 1)
    }
}
