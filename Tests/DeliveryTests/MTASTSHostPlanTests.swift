@testable import Delivery
import Foundation
import TLS
import Testing

@Suite("MTA-STS in the per-host TLS plan: precedence and modes (RFC 8461 §2, §4, §5)")
struct MTASTSHostPlanTests {
    static func sts(_ mode: MTASTSPolicy.Mode, mx: [String] = ["mx1.d.example"]) -> MTASTSCachedPolicy {
        MTASTSCachedPolicy(domain: "d.example", id: "20240101", policy: MTASTSPolicy(mode: mode, mx: mx, maxAge: 86400),
                           fetched: Date(timeIntervalSince1970: 1_700_000_000))
    }

    static func plan(_ level: OutboundTLSLevel = .may, _ sts: MTASTSCachedPolicy?, host: String = "mx1.d.example",
                     secure: Bool = false, tlsa: [TLSAData] = []) -> Result<HostTLSPlan, HostUnusable> {
        HostTLSPlan.plan(policy: OutboundTLSPolicy(level: level), mtaSTS: sts, domain: "d.example", host: host,
                         hostIsSecure: secure, tlsa: tlsa)
    }

    @Test("enforce: a listed host needs TLS and a PKIX-valid certificate for its own name, no plaintext fallback")
    func enforceListed() throws {
        let plan = try Self.plan(.may, Self.sts(.enforce)).get()
        #expect(plan.mode == .required && plan.check == .pkix && !plan.plaintextFallback)
        #expect(plan.expectation.referenceNames == ["mx1.d.example"] && plan.expectation.serverName == "mx1.d.example")
        #expect(plan.policyDescription == "mta-sts enforce (id 20240101)")
        #expect(plan.reportOnly == nil)
    }

    @Test("enforce: a host the policy does not list is not used (4.7.5, the reason names the policy)")
    func enforceUnlisted() {
        guard case .failure(let unusable) = Self.plan(.may, Self.sts(.enforce), host: "mx2.d.example") else {
            Issue.record("an unlisted host was planned for")
            return
        }
        #expect(unusable.status == "4.7.5")
        #expect(unusable.reason.contains("mx2.d.example") && unusable.reason.contains("mta-sts enforce (id 20240101)"), "\(unusable.reason)")
    }

    @Test("DANE wins: a host with usable DNSSEC-secure TLSA keeps its DANE plan, listed or not")
    func daneWins() throws {
        for host in ["mx1.d.example", "other.d.example"] {
            let plan = try Self.plan(.may, Self.sts(.enforce), host: host, secure: true, tlsa: [OutboundPolicyTests.eeRecord]).get()
            #expect(plan.check == .dane && plan.expectation.tlsa == [OutboundPolicyTests.eeRecord], "\(host)")
            #expect(plan.policyDescription == "may: dane (1 usable TLSA), over mta-sts enforce (id 20240101)")
        }
        // TLSA that exist but are all unusable are no DANE: the policy applies.
        let unusable = try Self.plan(.may, Self.sts(.enforce), secure: true, tlsa: [OutboundPolicyTests.pkixRecord]).get()
        #expect(unusable.check == .pkix)
        // Nor are TLSA records of a host that is not DNSSEC-secure.
        let insecure = try Self.plan(.dane, Self.sts(.enforce), secure: false, tlsa: [OutboundPolicyTests.eeRecord]).get()
        #expect(insecure.check == .pkix)
    }

    @Test("testing: the opportunistic plan stands (unlisted hosts too), with what enforcing would have checked")
    func testingMode() throws {
        let listed = try Self.plan(.may, Self.sts(.testing)).get()
        #expect(listed.mode == .opportunistic && listed.check == .anything && listed.plaintextFallback)
        #expect(listed.policyDescription == "may, mta-sts testing (id 20240101)")
        #expect(listed.reportOnly == HostTLSPlan.ReportOnly(policy: "mta-sts testing (id 20240101)", hostAllowed: true))
        let unlisted = try Self.plan(.may, Self.sts(.testing), host: "mx2.d.example").get()
        #expect(unlisted.reportOnly?.hostAllowed == false)

        func session(_ verification: TLSPeerVerification) -> TLSClientSessionInfo {
            TLSClientSessionInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", peerChain: [],
                                 verification: verification, usableTLSARecords: 0, applicationProtocol: nil)
        }
        #expect(listed.reportOnlyFailure(tls: session(.verified(matchedName: "mx1.d.example")), reachedEHLO: true) == nil)
        #expect(listed.reportOnlyFailure(tls: session(.failed(reason: "unable to get local issuer certificate (depth 0)")), reachedEHLO: true)
                == "the certificate is not valid for mx1.d.example: unable to get local issuer certificate (depth 0)")
        #expect(listed.reportOnlyFailure(tls: nil, reachedEHLO: true) == "the session ran without TLS")
        #expect(listed.reportOnlyFailure(tls: nil, reachedEHLO: false) == nil, "a connection that failed says nothing")
        #expect(unlisted.reportOnlyFailure(tls: session(.verified(matchedName: nil)), reachedEHLO: true)
                == "mx2.d.example is not an MX host the policy allows")
    }

    @Test("mode none, or no policy: exactly the plan without MTA-STS")
    func noEffect() {
        for sts in [Self.sts(.none), nil] {
            #expect(Self.plan(.may, sts) == Self.plan(.may, nil))
            #expect(Self.plan(.may, sts, host: "mx2.d.example") == HostTLSPlan.plan(
                policy: OutboundTLSPolicy(level: .may), domain: "d.example", host: "mx2.d.example", hostIsSecure: false, tlsa: []))
        }
    }

    @Test("who consults MTA-STS: domains without an entry while the default level is may or dane")
    func consulted() {
        let table = OutboundTLSPolicyTable(
            defaultPolicy: OutboundTLSPolicy(level: .may),
            entries: ["bank.example": OutboundTLSPolicy(level: .verify), ".gov.example": OutboundTLSPolicy(level: .may)])
        #expect(table.consultsMTASTS(for: "d.example"))
        #expect(!table.consultsMTASTS(for: "BANK.example"), "an explicit entry wins")
        #expect(!table.consultsMTASTS(for: "tax.gov.example"), "a .parent entry is explicit too, even at may")
        #expect(table.entry(for: "d.example") == nil && table.entry(for: "bank.example")?.level == .verify)
        for level in OutboundTLSLevel.allCases {
            let consults = OutboundTLSPolicyTable(defaultPolicy: OutboundTLSPolicy(level: level)).consultsMTASTS(for: "d.example")
            #expect(consults == (level == .may || level == .dane), "\(level)")
        }
    }
}
