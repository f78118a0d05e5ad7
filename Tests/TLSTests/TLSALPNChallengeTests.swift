import Foundation
import Testing
import TLS

/// ACME tls-alpn-01 (RFC 8737) in the TLS layer, against `openssl s_client`: the challenge certificate for
/// the name asked for by SNI, ALPN `acme-tls/1`, the connection closed after the handshake; without a pending
/// challenge the offer is refused like any wrong ALPN id.
@Suite struct TLSALPNChallengeTests {
    @Test func validationGetsTheChallengeCertificateAndIsClosed() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = try await Peers.opensslCertificate(commonName: "default.example", in: scratch)
        let challenges = TLSALPNChallenges()
        let provider = try TLSContextProvider(
            configuration: TLSServerConfiguration(certificate: files, applicationProtocol: "imap"), challenges: challenges)
        let server = try await TestServer.start(provider)
        do {
            try await check(server, challenges, scratch)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    private func check(_ server: TestServer, _ challenges: TLSALPNChallenges, _ scratch: ScratchDirectory) async throws {
        let before = try await Peers.sClient(port: server.port, ["-alpn", "acme-tls/1", "-servername", "mail.example.org"], in: scratch)
        #expect(before.output.contains("no application protocol"), "\(before.output)")

        try challenges.add(name: "Mail.Example.org", keyAuthorization: "token.thumbprint")
        let pem = scratch.file("challenge.pem")
        let validation = try await Peers.sClient(
            port: server.port, ["-alpn", "acme-tls/1", "-servername", "mail.example.org", "-showcerts"], in: scratch)
        #expect(validation.output.contains("ALPN protocol: acme-tls/1"), "\(validation.output)")
        #expect(!validation.output.contains("+OK ready"), "closed after the handshake: \(validation.output)")
        // The certificate: SAN the name, the critical acmeIdentifier holding SHA-256("token.thumbprint").
        let block = try #require(validation.output.range(of: "-----BEGIN CERTIFICATE-----").map { start in
            validation.output[start.lowerBound..<validation.output.range(of: "-----END CERTIFICATE-----")!.upperBound]
        })
        try Data(block.utf8).write(to: URL(fileURLWithPath: pem))
        let text = try await Peers.run("/usr/bin/openssl", ["x509", "-in", pem, "-noout", "-text"], in: scratch).output
        #expect(text.contains("DNS:mail.example.org"), "\(text)")
        #expect(text.contains("1.3.6.1.5.5.7.1.31: critical"), "\(text)")
        let extensionValue = try await Peers.run("/usr/bin/python3", ["-c", """
            import sys
            from cryptography import x509
            cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
            ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31"))
            print(ext.critical, ext.value.value.hex())
            """, pem], in: scratch).output
        let expected = TLSALPNChallenges.acmeIdentifierExtensionValue(keyAuthorization: "token.thumbprint")
        #expect(extensionValue == "True \(expected.map { String(format: "%02x", $0) }.joined())\n", "\(extensionValue)")
        #expect(expected.prefix(2) == [0x04, 0x20])

        // Other names, and ordinary clients of the same name, are unaffected.
        let ordinary = try await Peers.sClient(port: server.port, ["-alpn", "imap", "-servername", "mail.example.org"], in: scratch)
        #expect(ordinary.output.contains("subject=CN = default.example"), "\(ordinary.output)")
        challenges.remove(name: "mail.example.org")
        let after = try await Peers.sClient(port: server.port, ["-alpn", "acme-tls/1", "-servername", "mail.example.org"], in: scratch)
        #expect(after.output.contains("no application protocol"), "\(after.output)")
    }
}
