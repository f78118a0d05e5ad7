/// A certificate chain and its private key, as PEM files on disk.
public struct TLSCertificateFiles: Sendable, Equatable {
    /// PEM file with the leaf certificate first, then any intermediates.
    public var certificatePath: String
    /// PEM file with the private key (RSA or ECDSA, unencrypted) of the leaf certificate.
    /// May be the same file as `certificatePath`.
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
