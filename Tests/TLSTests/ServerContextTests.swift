import Foundation
import Testing
import TLS

/// Startup checks of `TLSServerContext`: every failure names the file and the problem.
@Suite struct ServerContextTests {
    private let day: TimeInterval = 86400

    @Test func keyNotMatchingTheCertificateIsRefused() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let a = try await Peers.opensslCertificate(commonName: "a.example", in: scratch)
        let b = try await Peers.opensslCertificate(commonName: "b.example", key: "ec", in: scratch)
        let files = TLSCertificateFiles(certificatePath: a.certificatePath, privateKeyPath: b.privateKeyPath)
        let error = try #require(throws: TLSError.self) {
            try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        }
        #expect(error.kind == .keyMismatch)
        #expect(error.description.contains(a.certificatePath))
        #expect(error.description.contains(b.privateKeyPath))
        #expect(error.description.contains("does not match"))
    }

    @Test func missingFileIsNamed() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = TLSCertificateFiles(certificatePath: scratch.file("nope.crt"), privateKeyPath: scratch.file("nope.key"))
        let error = try #require(throws: TLSError.self) {
            try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        }
        #expect(error.kind == .fileUnreadable)
        #expect(error.description == "certificate file \(scratch.file("nope.crt")) does not exist")
    }

    @Test func fileWithoutPEMCertificateIsRefused() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try Data("just some text\n".utf8).write(to: URL(fileURLWithPath: scratch.file("bad.crt")))
        let files = TLSCertificateFiles(certificatePath: scratch.file("bad.crt"), privateKeyPath: scratch.file("bad.crt"))
        let error = try #require(throws: TLSError.self) {
            try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        }
        #expect(error.kind == .invalidCertificate)
        #expect(error.description.contains(scratch.file("bad.crt")))
        #expect(error.description.contains("no PEM certificate"))
    }

    @Test func expiredCertificateIsRefused() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = TLSCertificateFiles(certificatePath: scratch.file("old.crt"), privateKeyPath: scratch.file("old.key"))
        try SelfSignedCertificate.generate(
            commonName: "old.example", subjectAltNames: ["old.example"], validDays: 5,
            notBefore: Date().addingTimeInterval(-10 * day),
            certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
        let error = try #require(throws: TLSError.self) {
            try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        }
        #expect(error.kind == .certificateExpired)
        #expect(error.description.contains(files.certificatePath))
        #expect(error.description.contains("expired on"))
    }

    @Test func certificateExpiringSoonGivesAWarningWithTheDate() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = TLSCertificateFiles(certificatePath: scratch.file("soon.crt"), privateKeyPath: scratch.file("soon.key"))
        let notBefore = Date().addingTimeInterval(-day)
        try SelfSignedCertificate.generate(
            commonName: "soon.example", subjectAltNames: ["soon.example"], validDays: 6, notBefore: notBefore,
            certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
        let context = try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        let expected = Date(timeIntervalSince1970: notBefore.timeIntervalSince1970.rounded(.down) + 6 * day)
        #expect(context.notAfter == expected)
        let dateOnly = expected.formatted(.iso8601.year().month().day())
        #expect(context.warnings.count == 1)
        #expect(context.warnings.first?.contains(dateOnly) == true)
        #expect(context.warnings.first?.contains(files.certificatePath) == true)
    }

    @Test func healthyCertificateHasNoWarnings() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = try await Peers.opensslCertificate(commonName: "fine.example", key: "ec", days: 90, in: scratch)
        let context = try TLSServerContext(configuration: TLSServerConfiguration(certificate: files))
        #expect(context.warnings.isEmpty)
        #expect(context.notAfter > Date().addingTimeInterval(89 * day))
    }

    @Test func overlongALPNIdIsRefused() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = try await Peers.opensslCertificate(commonName: "fine.example", key: "ec", in: scratch)
        let error = try #require(throws: TLSError.self) {
            try TLSServerContext(configuration: TLSServerConfiguration(
                certificate: files, applicationProtocol: String(repeating: "x", count: 256)))
        }
        #expect(error.kind == .invalidConfiguration)
    }
}
