import Config
import Foundation
@testable import LoftServer
import TLS
import Testing

/// The pure judgements of `loft doctor`: standard ports, certificate names and expiry, outbound policy
/// against DNSSEC, and what a probe of a running listener reveals.
@Suite struct DoctorRulesTests {
    static func listener(_ proto: ListenerConfiguration.ServiceProtocol, _ port: Int, _ tls: ListenerConfiguration.TLSMode,
                         plaintext: Bool = false) -> ListenerConfiguration {
        ListenerConfiguration(protocol: proto, address: ListenAddress(host: "192.0.2.1", port: port), tls: tls, allowPlaintextAuth: plaintext)
    }

    @Test("a TLS mode that differs from the standard port's is a warning; the matching one and non-standard ports are not",
          arguments: [
              (ListenerConfiguration.ServiceProtocol.submission, 587, ListenerConfiguration.TLSMode.implicit, "port 587 is for STARTTLS"),
              (.submission, 465, .starttls, "port 465 is for implicit TLS"),
              (.imap, 993, .starttls, "port 993 is for implicit TLS"),
              (.imap, 143, .implicit, "port 143 is for STARTTLS"),
              (.pop3, 995, .none, "port 995 is for implicit TLS"),
              (.pop3, 110, .implicit, "port 110 is for STARTTLS"),
              (.imap, 587, .starttls, "port 587 is the standard port of submission, not imap"),
          ])
    func standardPortMismatch(proto: ListenerConfiguration.ServiceProtocol, port: Int, tls: ListenerConfiguration.TLSMode,
                              expected: String) {
        let warnings = DoctorRules.configurationWarnings(Self.listener(proto, port, tls))
        #expect(warnings.contains { $0.contains(expected) }, "\(warnings)")
    }

    @Test("standard ports in their standard mode, and other ports, raise nothing", arguments: [
        (ListenerConfiguration.ServiceProtocol.submission, 587, ListenerConfiguration.TLSMode.starttls),
        (.submission, 465, .implicit), (.imap, 143, .starttls), (.imap, 993, .implicit), (.pop3, 110, .starttls),
        (.pop3, 995, .implicit), (.imap, 1993, .starttls), (.submission, 2525, .implicit),
    ])
    func standardPortMatches(proto: ListenerConfiguration.ServiceProtocol, port: Int, tls: ListenerConfiguration.TLSMode) {
        #expect(DoctorRules.configurationWarnings(Self.listener(proto, port, tls)) == [])
    }

    @Test("implicit TLS on 587 says where implicit TLS belongs")
    func implicitOn587() {
        let warning = DoctorRules.configurationWarnings(Self.listener(.submission, 587, .implicit)).first ?? ""
        #expect(warning.contains("set tls = \"starttls\" or move it to port 465"), "\(warning)")
    }

    @Test("allow_plaintext_auth and tls = none are warnings")
    func plaintext() {
        let warnings = DoctorRules.configurationWarnings(Self.listener(.imap, 1143, .none, plaintext: true))
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("tls = \"none\": mail and passwords travel in clear") })
        #expect(warnings.contains { $0.contains("allow_plaintext_auth = true: passwords are accepted before TLS") })
    }

    static func certificate(dns: [String] = [], ip: [String] = [], subject: String = "CN=mail.example.org",
                            issuer: String = "CN=Example CA", notAfter: Date = Date() + 90 * 86400) -> TLSCertificateSummary {
        TLSCertificateSummary(subject: subject, issuer: issuer, dnsNames: dns, ipAddresses: ip, notBefore: Date() - 86400,
                              notAfter: notAfter, sha256Fingerprint: "aa", publicKeySHA256: "bb", publicKeyDescription: "EC P-256")
    }

    @Test("names a certificate covers: exact (any case), a wildcard for one whole label, IP addresses, the CN without SANs")
    func covers() {
        let wildcard = Self.certificate(dns: ["*.example.org", "example.net"], ip: ["192.0.2.1"])
        #expect(DoctorRules.covers(wildcard, name: "mail.example.org"))
        #expect(DoctorRules.covers(wildcard, name: "MAIL.Example.ORG"))
        #expect(DoctorRules.covers(wildcard, name: "example.net"))
        #expect(DoctorRules.covers(wildcard, name: "192.0.2.1"))
        #expect(!DoctorRules.covers(wildcard, name: "example.org"))
        #expect(!DoctorRules.covers(wildcard, name: "a.mail.example.org"))
        #expect(!DoctorRules.covers(wildcard, name: "mail.example.net"))
        #expect(DoctorRules.covers(Self.certificate(subject: "CN=mail.example.org,O=Example"), name: "mail.example.org"))
        #expect(!DoctorRules.covers(Self.certificate(dns: ["other.example.org"], subject: "CN=mail.example.org"), name: "mail.example.org"),
                "with SANs the CN does not count (RFC 6125 §6.4.4)")
    }

    @Test("a certificate: 10 days left warns, 60 do not; a missing name and a missing chain warn")
    func certificateWarnings() {
        let now = Date()
        let soon = Self.certificate(dns: ["mail.example.org"], notAfter: now + 10 * 86400 + 60)
        let soonWarnings = DoctorRules.certificateWarnings([soon, Self.certificate(subject: "CN=Example CA", issuer: "CN=Root")],
                                                           path: "/c.pem", hostname: "mail.example.org", sniHostname: nil, now: now)
        #expect(soonWarnings == ["certificate /c.pem expires in 10 days (\(TLSCertificateFindings.day(soon.notAfter))); renew it, then reload loft (SIGHUP)"])

        let later = Self.certificate(dns: ["mx.example.org"], notAfter: now + 60 * 86400)
        let laterWarnings = DoctorRules.certificateWarnings([later], path: "/c.pem", hostname: "mail.example.org", sniHostname: nil, now: now)
        #expect(laterWarnings.count == 2, "\(laterWarnings)")
        #expect(laterWarnings.contains { $0.contains("does not cover mail.example.org (hostname); it covers mx.example.org") })
        #expect(laterWarnings.contains { $0.contains("holds no intermediate certificate") })
        #expect(!laterWarnings.contains { $0.contains("expires") })
    }

    @Test("dane-only needs a validating resolver: a problem without one, nothing when it validates or was not reachable")
    func outboundAgainstDNSSEC() {
        let settings = OutboundTLSSettings(defaultLevel: .may, policies: [
            .init(domain: "example.net", level: .daneOnly), .init(domain: "example.com", level: .dane),
        ])
        let broken = DoctorRules.outboundFindings(settings, validation: .noTrustAnchor)
        #expect(broken.problems.count == 1 && broken.problems[0].contains("policy for example.net is \"dane-only\""))
        #expect(broken.warnings.count == 1 && broken.warnings[0].contains("policy for example.com is \"dane\""))
        for validation in [DoctorDNS.Validation.validating, .unanswered] {
            let fine = DoctorRules.outboundFindings(settings, validation: validation)
            #expect(fine.problems.isEmpty && fine.warnings.isEmpty)
        }
        let clear = DoctorRules.outboundFindings(OutboundTLSSettings(defaultLevel: .none), validation: .validating)
        #expect(clear.warnings == ["outbound_tls default_level is \"none\": that mail leaves without TLS"])
    }

    static func probe(before: TLSCheckCapabilities?, versions: [TLSProtocolVersion]) -> TLSServiceReport {
        var transcript = TLSCheckTranscript()
        transcript.greeting = "* OK ready"
        transcript.beforeTLS = before
        let target = TLSCheckTarget(host: "127.0.0.1", port: 1143, protocol: .imap, mode: .starttls,
                                    referenceName: "mail.example.org", caFile: nil)
        return TLSServiceReport(
            target: target, checkedAt: Date(), trustAnchors: "the system CAs", failure: nil, failedAttempts: [],
            connectedAddress: "127.0.0.1:1143", connection: TLSCheckConnectionResult(transcript: transcript),
            versions: versions.map { TLSVersionProbe(version: $0, outcome: .accepted(cipher: "X")) })
    }

    @Test("a probe that sees TLS 1.2 while min_version is 1.3, or TLS 1.0 at all, warns")
    func probeVersions() {
        let listener = Self.listener(.imap, 1143, .starttls)
        let report = Self.probe(before: nil, versions: [.tls10, .tls12, .tls13])
        let strict = DoctorRules.probeFindings(report, listener: listener, minimumVersion: .tls13, configuredFingerprint: nil)
        #expect(strict.warnings.contains { $0.contains("accepts TLS 1.0 (deprecated by RFC 8996)") }, "\(strict.warnings)")
        #expect(strict.warnings.contains { $0.contains("accepts TLS 1.2 although [tls] min_version = \"1.3\"") }, "\(strict.warnings)")
        let usual = DoctorRules.probeFindings(report, listener: listener, minimumVersion: .tls12, configuredFingerprint: nil)
        #expect(!usual.warnings.contains { $0.contains("TLS 1.2") }, "1.2 is the RFC 8997 floor: \(usual.warnings)")
    }

    @Test("passwords offered before TLS are a problem when allow_plaintext_auth is off, and the settings' warning when on")
    func probePlaintext() {
        let before = TLSCheckCapabilities(lines: ["IMAP4rev1", "STARTTLS", "AUTH=PLAIN"], startTLS: true, authMechanisms: ["PLAIN"],
                                          plaintextLogins: ["AUTH PLAIN", "LOGIN"], loginDisabled: false, requireTLS: nil)
        let report = Self.probe(before: before, versions: [])
        let refused = DoctorRules.probeFindings(report, listener: Self.listener(.imap, 1143, .starttls), minimumVersion: .tls12,
                                                configuredFingerprint: nil)
        #expect(refused.problems.contains { $0.contains("offers AUTH PLAIN, LOGIN before TLS although allow_plaintext_auth is off") })
        let allowed = DoctorRules.probeFindings(report, listener: Self.listener(.imap, 1143, .starttls, plaintext: true),
                                                minimumVersion: .tls12, configuredFingerprint: nil)
        #expect(!allowed.problems.contains { $0.contains("before TLS") })
    }

    @Test("trust anchor zones: owner names of trust_anchors, then of the file's records (comments, directives and continuations skipped)")
    func trustAnchorZones() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("anchors-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            ; the root
            $TTL 3600
            . IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
            Example.NET. 3600 IN DNSKEY 257 3 13 (
                abc )
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = DNSSettings(trustAnchorFile: file, trustAnchors: ["anchor.test. IN DS 1 13 2 AB", ". IN DS 2 8 2 CD"])
        #expect(try DoctorDNSCheck.trustAnchorZones(settings) == ["anchor.test", ".", "example.net"])
        #expect(try DoctorDNSCheck.trustAnchorZones(DNSSettings()) == [])
    }
}
