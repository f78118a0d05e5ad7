import Foundation
import Testing
import TLS

/// The demo certificate generator, checked with the `openssl` CLI.
@Suite struct SelfSignedCertificateTests {
    @Test(arguments: [(SelfSignedCertificate.KeyType.ecdsaP256, "ecdsa-with-SHA256"),
                      (.rsa2048, "sha256WithRSAEncryption")])
    func generatesAUsableCertificate(keyType: SelfSignedCertificate.KeyType, signature: String) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = TLSCertificateFiles(certificatePath: scratch.file("demo.crt"), privateKeyPath: scratch.file("demo.key"))
        try SelfSignedCertificate.generate(
            commonName: "demo.example", subjectAltNames: ["localhost", "127.0.0.1", "::1"], validDays: 365,
            keyType: keyType, certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)

        let text = try await Peers.run("/usr/bin/openssl", ["x509", "-in", files.certificatePath, "-noout", "-text"],
                                       in: scratch).output
        #expect(text.contains("Subject: CN = demo.example"))
        #expect(text.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.contains("Signature Algorithm: \(signature)"))
        let attributes = try FileManager.default.attributesOfItem(atPath: files.privateKeyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let context = try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        #expect(context.warnings.isEmpty)
    }

    @Test func refusesANameThatWouldInjectAnotherEntry() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        #expect(throws: TLSError.self) {
            try SelfSignedCertificate.generate(
                commonName: "x", subjectAltNames: ["a.example,IP:10.0.0.1"], validDays: 1,
                certificatePath: scratch.file("x.crt"), privateKeyPath: scratch.file("x.key"))
        }
    }
}
