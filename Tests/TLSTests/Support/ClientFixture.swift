import TestSupport
import TLS

/// A scratch directory and a fresh test CA for one client test, removed afterwards.
struct ClientFixture {
    let scratch: ScratchDirectory
    let ca: TestCertificateAuthority

    static func with<T>(_ body: (ClientFixture) async throws -> T) async throws -> T {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        return try await body(ClientFixture(scratch: scratch, ca: ca))
    }

    /// A client context whose only trust anchor is the test CA (as with `tls.ca_file`).
    func trustingTheCA(minimumVersion: TLSMinimumVersion = .tls12) throws -> TLSClientContext {
        try TLSClientContext(configuration: TLSClientConfiguration(
            useSystemTrustStore: false, extraTrustAnchorsFile: ca.certificatePath, minimumVersion: minimumVersion))
    }

    /// A client context with the system trust store only, which knows nothing of the test CA.
    func trustingTheSystem() throws -> TLSClientContext {
        try TLSClientContext(configuration: TLSClientConfiguration())
    }

    /// `s_server` arguments serving `certificate`, followed by the CA certificate when `sendCA`
    /// (as a server sends its intermediates; DANE-TA needs the anchor in the chain).
    func serving(_ certificate: TestCertificateAuthority.Certificate, sendCA: Bool = true) -> [String] {
        ["-cert", certificate.certificatePath, "-key", certificate.privateKeyPath]
            + (sendCA ? ["-cert_chain", ca.certificatePath] : [])
    }
}
