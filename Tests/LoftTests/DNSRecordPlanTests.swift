import Config
import DNS
@testable import LoftServer
import Testing

/// The pure parts of `loft dns`: which records a configuration needs, and how a published record is judged.
@Suite struct DNSRecordPlanTests {
    static func configuration(_ listeners: [(ListenerConfiguration.ServiceProtocol, Int, ListenerConfiguration.TLSMode)],
                              relays: [RelaySettings] = []) -> LoftConfiguration {
        var configuration = LoftConfiguration(
            hostname: "Mail.Example.org", domain: "example.org", dataDirectory: "/var/lib/loft", auth: AuthSettings(passwdFile: "/etc/loft/passwd"),
            listeners: listeners.map { ListenerConfiguration(protocol: $0.0, address: ListenAddress(host: "0.0.0.0", port: $0.1), tls: $0.2) })
        configuration.relays = relays
        return configuration
    }

    static let keys = DNSRecordPlan.Keys(certificateKeySHA256: String(repeating: "ab", count: 32), nextKeySHA256: nil)

    @Test func srvRecordsFollowTheListenersImplicitTLSFirstAndPlaintextIsNeverAdvertised() {
        let configuration = Self.configuration([(.imap, 993, .implicit), (.imap, 143, .starttls), (.submission, 587, .starttls),
                                                (.pop3, 110, .none)])
        let records = DNSRecordPlan.records(for: "Example.ORG", configuration: configuration, keys: Self.keys)
        let srv = records.filter { $0.type == "SRV" }.map { "\($0.name) \($0.data)" }
        #expect(srv == [
            "_submissions._tcp.example.org 0 0 0 .",
            "_submission._tcp.example.org 10 1 587 mail.example.org.",
            "_imaps._tcp.example.org 0 1 993 mail.example.org.",
            "_imap._tcp.example.org 10 1 143 mail.example.org.",
            "_pop3s._tcp.example.org 0 0 0 .",
            "_pop3._tcp.example.org 0 0 0 .",
        ])
        #expect(records.first { $0.type == "TLSA" }?.name == "_25._tcp.mail.example.org")
    }

    @Test func spfNamesEveryRelayOnce() {
        let relay = RelaySettings(domains: ["*"], host: "Smtp.Relay.example", port: 465, tls: .implicit)
        let configuration = Self.configuration([], relays: [relay, relay])
        #expect(DNSRecordPlan.spfPolicy(configuration, domain: "example.org") == "v=spf1 mx a:smtp.relay.example -all")
        #expect(DNSRecordPlan.spfPolicy(Self.configuration([]), domain: "example.org") == "v=spf1 mx -all")
    }

    @Test func longTXTDataIsSplitInto255ByteStringsAndQuotesEscaped() {
        let key = String(repeating: "A", count: 400)
        let quoted = TXTRecordText.zoneFile("v=DKIM1; k=rsa; p=" + key)
        #expect(quoted.hasPrefix("\"v=DKIM1;"))
        #expect(quoted.split(separator: "\"").filter { $0 != " " }.map(\.count) == [255, 163])
        #expect(TXTRecordText.zoneFile("say \"hi\" \\") == "\"say \\\"hi\\\" \\\\\"")
    }

    @Test func tagRecordsAreComparedTagByTag() {
        let required: [PlannedRecord.Tag] = [.init("p", "quarantine"), .init("rua", "mailto:postmaster@example.org")]
        #expect(DNSRecordChecker.compareTags([], version: "v=DMARC1", required: required) == .missing)
        #expect(DNSRecordChecker.compareTags(["v=DMARC1; p=quarantine; pct=100; rua=mailto:postmaster@example.org"],
                                             version: "v=DMARC1", required: required) == .correct)
        #expect(DNSRecordChecker.compareTags(["v=DMARC1; p=none"], version: "v=DMARC1", required: required)
                == .different(difference: "p=none, want p=quarantine; rua= is missing (want rua=mailto:postmaster@example.org)"))
        #expect(DNSRecordChecker.compareTags(["v=DMARC1; p=quarantine", "v=DMARC1; p=reject"], version: "v=DMARC1", required: required)
                == .different(difference: "2 v=DMARC1 records where there must be one"))
    }

    @Test func aDKIMKeyRecordMayLeaveOutItsVersionTagAndKeysAreComparedWithoutFoldingSpace() {
        #expect(DNSRecordChecker.hasVersion("k=rsa; p=MIIB", "v=DKIM1"))
        #expect(DNSRecordChecker.hasVersion("v=DKIM1; k=rsa; p=MIIB", "v=DKIM1"))
        #expect(!DNSRecordChecker.hasVersion("p=quarantine", "v=DMARC1"))
        #expect(!DNSRecordChecker.hasVersion("v=spf1 mx -all", "v=DKIM1"))
        #expect(DNSRecordChecker.compareTags(["v=DKIM1; k=rsa; p=MIIB AQAB"], version: "v=DKIM1", required: [.init("p", "MIIBAQAB")]) == .correct)
    }

    @Test func spfMustBeOneRecordWithTheSamePolicy() {
        #expect(DNSRecordChecker.compareSPF([], expected: "v=spf1 mx -all") == .missing)
        #expect(DNSRecordChecker.compareSPF(["V=SPF1  MX -all"], expected: "v=spf1 mx -all") == .correct)
        #expect(DNSRecordChecker.compareSPF(["v=spf1 mx -all", "v=spf1 a -all"], expected: "v=spf1 mx -all")
                == .different(difference: "2 SPF records: receivers treat that as an error (RFC 7208 §4.5); keep one"))
        #expect(DNSRecordChecker.isSPF("v=spf1") && !DNSRecordChecker.isSPF("v=spf10 mx"))
    }

    @Test func tlsaNeedsTheKeyAndDNSSEC() {
        let digest = String(repeating: "ab", count: 32)
        #expect(DNSRecordChecker.compareTLSA([], digest: digest, status: .secure) == .missing)
        #expect(DNSRecordChecker.compareTLSA(["3 1 1 \(digest)", "3 1 1 00"], digest: digest, status: .secure) == .correct)
        guard case .different(let stale) = DNSRecordChecker.compareTLSA(["3 1 1 00"], digest: digest, status: .secure) else {
            Issue.record("a TLSA set without the key is not correct")
            return
        }
        #expect(stale.hasPrefix("stale"))
        guard case .different(let unsigned) = DNSRecordChecker.compareTLSA(["3 1 1 \(digest)"], digest: digest, status: .insecure) else {
            Issue.record("an unsigned TLSA record is not correct")
            return
        }
        #expect(unsigned.contains("not DNSSEC-signed"))
    }

    @Test func mxAndSRVVerdicts() {
        #expect(DNSRecordChecker.compareMX([MXRecord(preference: 0, host: "")], host: "mail.example.org")
                == .different(difference: "a null MX (RFC 7505) says the domain accepts no mail"))
        #expect(DNSRecordChecker.compareMX([MXRecord(preference: 20, host: "mail.example.org"), MXRecord(preference: 10, host: "mx.other.example")],
                                           host: "mail.example.org") == .correct)
        let expected = SRVRecord(priority: 0, weight: 1, port: 993, target: "mail.example.org")
        #expect(DNSRecordChecker.compareSRV([SRVRecord(priority: 0, weight: 1, port: 9993, target: "mail.example.org")], expected: expected)
                == .different(difference: "clients would connect to mail.example.org:9993, not mail.example.org:993"))
        #expect(DNSRecordChecker.compareSRV([expected], expected: SRVRecord(priority: 0, weight: 0, port: 0, target: ""))
                == .different(difference: "this server does not offer the service, but the record points clients at it"))
    }
}
