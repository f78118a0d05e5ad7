import Foundation
import Testing
import TLS

/// Reload: new connections see the new certificate; a broken file keeps the old context.
/// Also the configurable minimum version, which a provider passes through.
@Suite struct ContextProviderTests {
    @Test func reloadSwapsTheCertificateAndKeepsTheOldOneOnFailure() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = TLSCertificateFiles(certificatePath: scratch.file("live.crt"), privateKeyPath: scratch.file("live.key"))
        try SelfSignedCertificate.generate(commonName: "first.example", subjectAltNames: ["first.example"], validDays: 30,
                                           certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
        let provider = try TLSContextProvider(configuration: TLSServerConfiguration(certificate: files))
        let server = try await TestServer.start(provider)
        do {
            let before = try await Peers.sClient(port: server.port, [], in: scratch)
            #expect(before.output.contains("subject=CN = first.example"))

            try SelfSignedCertificate.generate(commonName: "second.example", subjectAltNames: ["second.example"],
                                               validDays: 30, keyType: .rsa2048,
                                               certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
            #expect(try provider.reload().isEmpty)
            let after = try await Peers.sClient(port: server.port, [], in: scratch)
            #expect(after.output.contains("subject=CN = second.example"))

            let good = provider.current
            try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: files.certificatePath))
            let error = try #require(throws: TLSError.self) { try provider.reload() }
            #expect(error.kind == .invalidCertificate)
            #expect(error.description.contains(files.certificatePath))
            #expect(provider.current === good)
            let stillGood = try await Peers.sClient(port: server.port, [], in: scratch)
            #expect(stillGood.output.contains("subject=CN = second.example"))
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test func minimumVersionTLS13RefusesTLS12() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = try await Peers.opensslCertificate(commonName: "strict.example", key: "ec", in: scratch)
        let provider = try TLSContextProvider(configuration: TLSServerConfiguration(certificate: files, minimumVersion: .tls13))
        let server = try await TestServer.start(provider)
        let refused = try await Peers.sClient(port: server.port, ["-tls1_2"], in: scratch)
        let accepted = try await Peers.sClient(port: server.port, ["-tls1_3"], in: scratch)
        try await server.stop()
        #expect(!refused.output.contains("+OK ready"))
        #expect(refused.output.contains("alert protocol version"))
        #expect(accepted.output.contains("INFO version=TLSv1.3"))
    }
}
