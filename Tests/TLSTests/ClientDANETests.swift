import Foundation
import Testing
import TestSupport
import TLS

/// DANE for SMTP (RFC 7672) through OpenSSL, against real `openssl s_server` processes. The
/// client contexts here trust nothing but what the TLSA records say, unless a test says otherwise.
@Suite struct ClientDANETests {
    private func trustingNothing() throws -> TLSClientContext {
        try TLSClientContext(configuration: TLSClientConfiguration(useSystemTrustStore: false))
    }

    private func daneEE(_ certificate: TestCertificateAuthority.Certificate) -> TLSAData {
        TLSAData(usage: 3, selector: 1, matchingType: 1, data: certificate.publicKeySHA256)
    }

    private func daneTA(_ ca: TestCertificateAuthority) -> TLSAData {
        TLSAData(usage: 2, selector: 0, matchingType: 1, data: ca.certificateSHA256)
    }

    @Test func daneEEMatchesASelfSignedCertificateWithAnotherName() async throws {
        try await ClientFixture.with { fixture in
            // RFC 7672 section 3.1.1: DANE-EE ignores names (and the chain).
            let leaf = try fixture.ca.selfSigned(dnsNames: ["unrelated.example"])
            try await OpenSSLServer.with(fixture.serving(leaf, sendCA: false), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"],
                                                     tlsa: [daneEE(leaf)], daneBaseDomain: "mx.example")
                let info = try await TestClient.handshake(port: server.port, context: trustingNothing(), expectation: expectation)
                #expect(info.verification == .daneVerified(authorityDepth: 0, matchedName: nil))
                #expect(info.usableTLSARecords == 1)
            }
        }
    }

    @Test func daneEEIgnoresTheValidityDates() async throws {
        try await ClientFixture.with { fixture in
            // RFC 7672 section 3.1.1: with DANE-EE the expiry date is not checked either.
            let leaf = try fixture.ca.issueExpired(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(referenceNames: ["mx.example"], tlsa: [daneEE(leaf)],
                                                     daneBaseDomain: "mx.example")
                let info = try await TestClient.handshake(port: server.port, context: fixture.trustingTheCA(),
                                                          expectation: expectation)
                #expect(info.verification == .daneVerified(authorityDepth: 0, matchedName: nil))
            }
        }
    }

    @Test func daneEEWithAnotherKeyFailsEvenWhenPKIXWouldPass() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            let other = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(referenceNames: ["mx.example"], tlsa: [daneEE(other)],
                                                     daneBaseDomain: "mx.example")
                // The CA is trusted, but usable TLSA records replace PKIX.
                let info = try await TestClient.handshake(port: server.port, context: fixture.trustingTheCA(),
                                                          expectation: expectation)
                #expect(info.verification == .failed(reason: "no matching DANE TLSA records (depth 0)"))
                #expect(info.usableTLSARecords == 1)
            }
        }
    }

    @Test func daneTAOfTheCAWithTheRightName() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"],
                                                     tlsa: [daneTA(fixture.ca)], daneBaseDomain: "mx.example")
                let info = try await TestClient.handshake(port: server.port, context: trustingNothing(), expectation: expectation)
                #expect(info.verification == .daneVerified(authorityDepth: 1, matchedName: "mx.example"))
            }
        }
    }

    @Test func daneTAChecksTheName() async throws {
        try await ClientFixture.with { fixture in
            // RFC 7672 section 3.1.2: DANE-TA needs a name check against the TLSA base domain.
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(serverName: "other.example", referenceNames: ["other.example"],
                                                     tlsa: [daneTA(fixture.ca)], daneBaseDomain: "other.example")
                let info = try await TestClient.handshake(port: server.port, context: trustingNothing(), expectation: expectation)
                #expect(info.verification == .failed(reason: "hostname mismatch (depth 0)"))
            }
        }
    }

    @Test func daneTANeedsTheServerToSendTheAnchor() async throws {
        try await ClientFixture.with { fixture in
            // RFC 7672 section 3.1.2: a server with a DANE-TA record must include the anchor.
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf, sendCA: false), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(referenceNames: ["mx.example"], tlsa: [daneTA(fixture.ca)],
                                                     daneBaseDomain: "mx.example")
                let info = try await TestClient.handshake(port: server.port, context: trustingNothing(), expectation: expectation)
                #expect(info.verification == .failed(reason: "no matching DANE TLSA records (depth 0)"))
            }
        }
    }

    @Test func unusableRecordsOnlyLeavePKIX() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                // PKIX-EE(1) is unusable for SMTP (RFC 7672 section 3.1.3); so is a SHA-256
                // digest one byte short.
                let unusable = [
                    TLSAData(usage: 1, selector: 1, matchingType: 1, data: leaf.publicKeySHA256),
                    TLSAData(usage: 3, selector: 1, matchingType: 1, data: Array(leaf.publicKeySHA256.dropLast())),
                ]
                let expectation = TLSPeerExpectation(referenceNames: ["mx.example"], tlsa: unusable, daneBaseDomain: "mx.example")
                let trusted = try await TestClient.handshake(port: server.port, context: fixture.trustingTheCA(),
                                                             expectation: expectation)
                #expect(trusted.usableTLSARecords == 0)
                #expect(trusted.verification == .verified(matchedName: "mx.example"))
                let untrusted = try await TestClient.handshake(port: server.port, context: trustingNothing(),
                                                               expectation: expectation)
                #expect(untrusted.verification == .failed(reason: "self-signed certificate in certificate chain (depth 1)"))
            }
        }
    }

    @Test func onlyUsableRecordsAreCounted() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            let other = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let records = [
                    daneEE(other),  // usable, does not match
                    TLSAData(usage: 0, selector: 0, matchingType: 1, data: fixture.ca.certificateSHA256),
                    TLSAData(usage: 3, selector: 2, matchingType: 1, data: leaf.publicKeySHA256),  // no selector 2
                    daneEE(leaf),  // usable, matches
                ]
                let expectation = TLSPeerExpectation(referenceNames: ["mx.example"], tlsa: records, daneBaseDomain: "mx.example")
                let info = try await TestClient.handshake(port: server.port, context: trustingNothing(), expectation: expectation)
                #expect(info.usableTLSARecords == 2)
                #expect(info.verification == .daneVerified(authorityDepth: 0, matchedName: nil))
            }
        }
    }

    @Test func recordsWithoutABaseDomainFailTheConnection() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(referenceNames: ["mx.example"], tlsa: [daneEE(leaf)])
                try await TestClient.with(port: server.port, context: trustingNothing(), expectation: expectation) { client in
                    let error = try await client.log.failure()
                    #expect(error.kind == .invalidConfiguration)
                    #expect(client.log.current.info == nil)
                }
            }
        }
    }
}
