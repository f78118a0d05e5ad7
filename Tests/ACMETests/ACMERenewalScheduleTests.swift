import ACME
import Foundation
import Testing
import TLS

/// When the manager asks the CA again.
struct ACMERenewalScheduleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func leaf(issuer: String = "CN=Pebble Intermediate CA", names: [String] = ["mail.example.org"], days: Double = 90) -> TLSCertificateSummary {
        TLSCertificateSummary(subject: "CN=mail.example.org", issuer: issuer, dnsNames: names, ipAddresses: [], notBefore: start,
                              notAfter: start.addingTimeInterval(days * 86400), sha256Fingerprint: "", publicKeySHA256: "",
                              publicKeyDescription: "")
    }

    @Test("renewal two thirds into the lifetime: day 60 of 90")
    func twoThirds() {
        #expect(ACMERenewalSchedule.renewalDate(leaf()) == start.addingTimeInterval(60 * 86400))
        let names = ["mail.example.org"]
        #expect(ACMERenewalSchedule.reasonToIssue(leaf: leaf(), names: names, now: start.addingTimeInterval(59 * 86400)) == nil)
        #expect(ACMERenewalSchedule.reasonToIssue(leaf: leaf(), names: names, now: start.addingTimeInterval(60 * 86400)) != nil)
    }

    @Test("no certificate, the self-signed placeholder, or a missing name: issue now")
    func issueNow() {
        #expect(ACMERenewalSchedule.reasonToIssue(leaf: nil, names: ["a.example"], now: start) == "no certificate yet")
        let placeholder = leaf(issuer: "CN=mail.example.org")
        #expect(ACMERenewalSchedule.reasonToIssue(leaf: placeholder, names: ["mail.example.org"], now: start)?.contains("self-signed") == true)
        #expect(ACMERenewalSchedule.reasonToIssue(leaf: leaf(), names: ["mail.example.org", "MX2.example.org"], now: start)
            == "the certificate does not cover MX2.example.org")
    }

    @Test("backoff: 1 minute doubling to 6 hours")
    func backoff() {
        #expect((1...11).map { ACMERenewalSchedule.backoff(failures: $0) } == [
            .seconds(60), .seconds(120), .seconds(240), .seconds(480), .seconds(960), .seconds(1920), .seconds(3840),
            .seconds(7680), .seconds(15360), .seconds(21600), .seconds(21600),
        ])
        #expect(ACMERenewalSchedule.backoff(failures: 1000) == .seconds(21600))
    }

    @Test("the loud warning window: the last 14 days")
    func nearExpiry() {
        #expect(!ACMERenewalSchedule.isNearExpiry(leaf(), now: start.addingTimeInterval(75 * 86400)))
        #expect(ACMERenewalSchedule.isNearExpiry(leaf(), now: start.addingTimeInterval(76.5 * 86400)))
    }
}
