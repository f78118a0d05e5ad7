import Foundation
import Testing
import TLS

/// PKIX verification by `TLSClientHandler` against real `openssl s_server` processes. The
/// handshake always completes; the outcome is in `verification`.
@Suite struct ClientVerificationTests {
    @Test func rightNameThroughTheExtraTrustAnchorIsVerified() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let expectation = TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"])
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(),
                                          expectation: expectation) { client in
                    let info = try await client.log.handshake()
                    #expect(info.verification == .verified(matchedName: "mx.example"))
                    #expect(info.protocolVersion == "TLSv1.3")
                    #expect(info.usableTLSARecords == 0)
                    #expect(info.peerChain.map(\.subject) == ["CN=mx.example", "O=Loft tests,CN=Loft Test CA"])
                    // Application data goes both ways: s_server -rev answers with the line reversed.
                    try await client.send("hello over tls")
                    _ = try await client.log.line(startingWith: "slt revo olleh")
                }
            }
        }
    }

    @Test func anyOfSeveralReferenceNamesMayMatch() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx2.example", "*.mail.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let context = try fixture.trustingTheCA()
                let second = try await TestClient.handshake(
                    port: server.port, context: context,
                    expectation: TLSPeerExpectation(referenceNames: ["mx1.example", "mx2.example"]))
                #expect(second.verification == .verified(matchedName: "mx2.example"))
                // A wildcard covers exactly one left-most label (RFC 6125 section 6.4.3).
                let wildcard = try await TestClient.handshake(
                    port: server.port, context: context, expectation: TLSPeerExpectation(referenceNames: ["in.mail.example"]))
                #expect(wildcard.verification == .verified(matchedName: "in.mail.example"))
                let twoLabels = try await TestClient.handshake(
                    port: server.port, context: context, expectation: TLSPeerExpectation(referenceNames: ["a.b.mail.example"]))
                #expect(twoLabels.verification == .failed(reason: "hostname mismatch (depth 0)"))
            }
        }
    }

    @Test func wrongNameFailsWithHostnameMismatch() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let info = try await TestClient.handshake(
                    port: server.port, context: fixture.trustingTheCA(),
                    expectation: TLSPeerExpectation(serverName: "other.example", referenceNames: ["other.example"]))
                #expect(info.verification == .failed(reason: "hostname mismatch (depth 0)"))
                // Still encrypted: opportunistic TLS goes on, the caller's policy decides.
                #expect(info.protocolVersion == "TLSv1.3")
            }
        }
    }

    @Test func noReferenceNamesChecksTheChainOnly() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let info = try await TestClient.handshake(port: server.port, context: fixture.trustingTheCA(),
                                                          expectation: TLSPeerExpectation(serverName: "other.example"))
                #expect(info.verification == .verified(matchedName: nil))
            }
        }
    }

    @Test func anIPLiteralReferenceNameMatchesAnIPAddressEntry() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"], ipAddresses: ["127.0.0.1"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let context = try fixture.trustingTheCA()
                let right = try await TestClient.handshake(port: server.port, context: context,
                                                           expectation: TLSPeerExpectation(referenceNames: ["127.0.0.1"]))
                #expect(right.verification == .verified(matchedName: "127.0.0.1"))
                let wrong = try await TestClient.handshake(port: server.port, context: context,
                                                           expectation: TLSPeerExpectation(referenceNames: ["127.0.0.2"]))
                #expect(wrong.verification == .failed(reason: "IP address mismatch (depth 0)"))
            }
        }
    }

    @Test(arguments: [
        (true, "self-signed certificate in certificate chain (depth 1)"),
        (false, "unable to get local issuer certificate (depth 0)"),
    ])
    func unknownCAFailsWithoutTheCAFile(sendCA: Bool, reason: String) async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf, sendCA: sendCA), in: fixture.scratch) { server in
                let info = try await TestClient.handshake(
                    port: server.port, context: fixture.trustingTheSystem(),
                    expectation: TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"]))
                #expect(info.verification == .failed(reason: reason))
            }
        }
    }

    @Test func expiredCertificateFails() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issueExpired(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let info = try await TestClient.handshake(
                    port: server.port, context: fixture.trustingTheCA(),
                    expectation: TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"]))
                #expect(info.verification == .failed(reason: "certificate has expired (depth 0)"))
            }
        }
    }

    @Test func selfSignedCertificateFailsButStillEncrypts() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.selfSigned(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf, sendCA: false), in: fixture.scratch) { server in
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(),
                                          expectation: TLSPeerExpectation(referenceNames: ["mx.example"])) { client in
                    let info = try await client.log.handshake()
                    #expect(info.verification == .failed(reason: "self-signed certificate (depth 0)"))
                    try await client.send("abc")
                    _ = try await client.log.line(startingWith: "cba")
                }
            }
        }
    }

    @Test func contextRefusesAMissingOrEmptyCAFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let missing = scratch.file("missing.pem")
        let missingError = try #require(throws: TLSError.self) {
            try TLSClientContext(configuration: TLSClientConfiguration(extraTrustAnchorsFile: missing))
        }
        #expect(missingError.kind == .fileUnreadable)
        #expect(missingError.description == "CA file \(missing) does not exist")

        let empty = scratch.file("empty.pem")
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: empty))
        let emptyError = try #require(throws: TLSError.self) {
            try TLSClientContext(configuration: TLSClientConfiguration(extraTrustAnchorsFile: empty))
        }
        #expect(emptyError.kind == .invalidCertificate)
        #expect(emptyError.description.hasPrefix("CA file \(empty) contains no PEM certificate"))
    }
}
