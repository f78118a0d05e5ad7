@testable import Delivery
import TLS
import Foundation
import Testing

@Suite("Outbound queue state: envelope updates, entry locks, retry schedule")
struct QueueStateTests {
    @Test("update replaces the envelope atomically; the state round-trips through JSON")
    func updateRoundTrips() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        var envelope = SpoolTests.envelope(id: "U1")
        try SpoolTests.add(envelope, bytes: "Subject: x\r\n\r\nbody\r\n", to: spool)
        envelope.attempts = 3
        envelope.nextAttempt = Date(timeIntervalSince1970: 1_700_000_600)
        envelope.recipients[0].lastFailure = RecipientFailure(
            at: Date(timeIntervalSince1970: 1_700_000_300), status: "4.4.1", diagnostic: "X-Loft; connection refused",
            remoteMTA: "mx.example.net [192.0.2.1]")
        envelope.recipients.append(RemoteRecipient(
            address: "carol@example.net",
            outcome: .delivered(RecipientDelivery(
                at: Date(timeIntervalSince1970: 1_700_000_400), remoteMTA: "mx.example.net [192.0.2.1]",
                reply: "250 2.0.0 Ok", remoteSupportsDSN: true))))
        try spool.update(envelope)
        #expect(try spool.entry(id: "U1")?.envelope == envelope)
        #expect(directory.list("queue/tmp").isEmpty)
        #expect(envelope.pendingRecipients.map(\.index) == [0])
    }

    @Test("an envelope written before the queue state existed reads as never tried")
    func oldEnvelopesDecode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        try directory.write("message", to: "queue/messages/OLD")
        try directory.write("""
            {"arrival":"2023-11-14T22:13:20Z","body_type":"7BIT","id":"OLD","recipients":[{"address":"bob@example.net"}],
             "sender":"alice@example.org","smtputf8":false}
            """, to: "queue/envelopes/OLD.json")
        let envelope = try #require(try spool.entry(id: "OLD")).envelope
        #expect(envelope.attempts == 0 && envelope.nextAttempt == nil && !envelope.bounceRequested)
        #expect(envelope.pendingRecipients.count == 1)
    }

    @Test("an entry's lock excludes a second holder until released; a missing entry gives nil")
    func locks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        try SpoolTests.add(SpoolTests.envelope(id: "L1"), bytes: "x", to: spool)
        let first = try #require(try spool.lock(id: "L1", wait: false))
        #expect(try spool.lock(id: "L1", wait: false) == nil)
        first.release()
        let second = try #require(try spool.lock(id: "L1", wait: false))
        #expect(second.entry.id == "L1")
        second.release()
        #expect(try spool.lock(id: "NONE", wait: false) == nil)
        #expect(throws: DeliveryError.self) { try spool.lock(id: "../x", wait: false) }
    }

    @Test("envelope stamps change when an entry is updated")
    func stamps() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        var envelope = SpoolTests.envelope(id: "S1")
        try SpoolTests.add(envelope, bytes: "x", to: spool)
        let before = try spool.envelopeStamps()
        #expect(before.keys.sorted() == ["S1"])
        usleep(20_000)
        envelope.attempts = 1
        let written = try spool.update(envelope)
        #expect(try spool.envelopeStamps()["S1"] == written)
        #expect(written != before["S1"])
    }

    @Test("retries wait 5 minutes, then double up to the maximum; expiry is arrival plus the lifetime")
    func retrySchedule() {
        let schedule = RetrySchedule(first: .seconds(300), maximum: .seconds(3600), lifetime: .seconds(5 * 86400))
        #expect((1...6).map { schedule.delay(afterAttempts: $0) } == [300, 600, 1200, 2400, 3600, 3600])
        #expect(schedule.delay(afterAttempts: 1000) == 3600)
        let arrival = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(schedule.expiry(arrival: arrival) == arrival.addingTimeInterval(432_000))
    }
}

@Suite("Outbound routes and TLS policies")
struct OutboundPolicyTests {
    @Test("a relay listing the domain wins over the catch-all, and MX is the default")
    func routes() {
        let direct = OutboundRoute.Relay(host: "relay.example.net", port: 587, implicitTLS: false, credentials: nil)
        let all = OutboundRoute.Relay(host: "smart.example.net", port: 465, implicitTLS: true, credentials: nil)
        #expect(OutboundRouter(relays: ["partner.example": direct, "*": all], smtpPort: 25).route(for: "Partner.Example") == .relay(direct))
        #expect(OutboundRouter(relays: ["partner.example": direct, "*": all], smtpPort: 25).route(for: "other.example") == .relay(all))
        #expect(OutboundRouter(relays: ["partner.example": direct], smtpPort: 2525).route(for: "other.example") == .mx(port: 2525))
    }

    @Test("a domain's own policy, else the nearest .parent entry, else the default")
    func policyLookup() {
        let table = OutboundTLSPolicyTable(
            defaultPolicy: OutboundTLSPolicy(level: .may),
            entries: ["bank.example": OutboundTLSPolicy(level: .secure), ".gov.example": OutboundTLSPolicy(level: .verify)])
        #expect(table.policy(for: "BANK.example").level == .secure)
        #expect(table.policy(for: "mail.bank.example").level == .may)
        #expect(table.policy(for: "tax.gov.example").level == .verify)
        #expect(table.policy(for: "a.b.gov.example").level == .verify)
        #expect(table.policy(for: "gov.example").level == .may)
    }

    static let eeRecord = TLSAData(usage: 3, selector: 1, matchingType: 1, data: Array(repeating: 0xAB, count: 32))
    static let pkixRecord = TLSAData(usage: 1, selector: 1, matchingType: 1, data: Array(repeating: 0xAB, count: 32))

    @Test("may: DANE only with secure DNS and usable TLSA; else opportunistic with a plaintext fallback")
    func mayPlans() throws {
        let dane = try HostTLSPlan.plan(policy: .init(level: .may), domain: "d.example", host: "mx.d.example",
                                        hostIsSecure: true, tlsa: [Self.eeRecord, Self.pkixRecord]).get()
        #expect(dane.mode == .required && dane.check == .dane && !dane.plaintextFallback)
        #expect(dane.expectation.tlsa == [Self.eeRecord] && dane.expectation.daneBaseDomain == "mx.d.example")
        let insecure = try HostTLSPlan.plan(policy: .init(level: .may), domain: "d.example", host: "mx.d.example",
                                            hostIsSecure: false, tlsa: [Self.eeRecord]).get()
        #expect(insecure.mode == .opportunistic && insecure.check == .anything && insecure.plaintextFallback)
        let unusable = try HostTLSPlan.plan(policy: .init(level: .dane), domain: "d.example", host: "mx.d.example",
                                            hostIsSecure: true, tlsa: [Self.pkixRecord]).get()
        #expect(unusable.mode == .required && unusable.check == .anything)
    }

    @Test("dane-only refuses a host without secure usable TLSA; verify and secure check the right names")
    func strictPlans() throws {
        #expect(throws: HostUnusable.self) {
            try HostTLSPlan.plan(policy: .init(level: .daneOnly), domain: "d.example", host: "mx.d.example", hostIsSecure: false, tlsa: []).get()
        }
        let verify = try HostTLSPlan.plan(policy: .init(level: .verify), domain: "d.example", host: "mx.d.example", hostIsSecure: false, tlsa: []).get()
        #expect(verify.expectation.referenceNames == ["mx.d.example"] && verify.check == .pkix && verify.mode == .required)
        let secure = try HostTLSPlan.plan(policy: .init(level: .secure), domain: "d.example", host: "mx.d.example", hostIsSecure: false, tlsa: []).get()
        #expect(secure.expectation.referenceNames == ["d.example", ".d.example"])
        let matched = try HostTLSPlan.plan(policy: .init(level: .secure, match: ["mx.partner.example"]), domain: "d.example",
                                           host: "mx.d.example", hostIsSecure: false, tlsa: []).get()
        #expect(matched.expectation.referenceNames == ["mx.partner.example"])
        let none = try HostTLSPlan.plan(policy: .init(level: .none), domain: "d.example", host: "mx.d.example", hostIsSecure: true, tlsa: [Self.eeRecord]).get()
        #expect(none.mode == .none)
    }
}

@Suite("REQUIRETLS and TLS-Required: No in the queue's TLS plans (RFC 8689)")
struct RequireTLSPlanTests {
    static func host(secure: Bool, tlsa: [TLSAData] = []) -> DestinationHost {
        DestinationHost(name: "mx.d.example", preference: 10, addresses: [], isSecure: secure, tlsa: tlsa, unusable: nil)
    }

    @Test("REQUIRETLS: an MX not found through DNSSEC is unusable; a secure one needs a CA-verified certificate; DANE suffices")
    func requireTLS() throws {
        let may = OutboundTLSPolicy(level: .may)
        #expect(throws: HostUnusable.self) {
            try HostTLSPlan.plan(for: Self.host(secure: false), policy: may, mtaSTS: nil, explicitPolicy: false, domain: "d.example",
                                 requireTLS: true, tlsRequiredNo: false).get()
        }
        let pkix = try HostTLSPlan.plan(for: Self.host(secure: true), policy: may, mtaSTS: nil, explicitPolicy: false, domain: "d.example",
                                        requireTLS: true, tlsRequiredNo: false).get()
        #expect(pkix.mode == .required && pkix.check == .pkix && pkix.expectation.referenceNames == ["mx.d.example"])
        let dane = try HostTLSPlan.plan(for: Self.host(secure: true, tlsa: [OutboundPolicyTests.eeRecord]), policy: may,
                                        mtaSTS: nil, explicitPolicy: false, domain: "d.example", requireTLS: true, tlsRequiredNo: false).get()
        #expect(dane.check == .dane)
    }

    @Test("TLS-Required: No ignores DANE but still tries STARTTLS; the admin's own policy entry still applies")
    func tlsRequiredNo() throws {
        let host = Self.host(secure: true, tlsa: [OutboundPolicyTests.eeRecord])
        let relaxed = try HostTLSPlan.plan(for: host, policy: OutboundTLSPolicy(level: .may), mtaSTS: nil, explicitPolicy: false,
                                           domain: "d.example", requireTLS: false, tlsRequiredNo: true).get()
        #expect(relaxed.mode == .opportunistic && relaxed.check == .anything)
        let table = try HostTLSPlan.plan(for: host, policy: OutboundTLSPolicy(level: .verify), mtaSTS: nil, explicitPolicy: true,
                                         domain: "d.example", requireTLS: false, tlsRequiredNo: true).get()
        #expect(table.check == .pkix)
    }

    @Test("the TLS-Required field is found whatever its case; only the value No counts")
    func field() {
        #expect(TLSRequiredField.saysNo(in: Array("Subject: x\r\ntls-required:  no \r\n\r\n".utf8)))
        #expect(TLSRequiredField.saysNo(in: Array("TLS-Required: No\n".utf8)))
        #expect(!TLSRequiredField.saysNo(in: Array("TLS-Required: Yes\r\n".utf8)))
        #expect(!TLSRequiredField.saysNo(in: Array("X-TLS-Required: No\r\nSubject: TLS-Required: No\r\n".utf8)))
    }
}
