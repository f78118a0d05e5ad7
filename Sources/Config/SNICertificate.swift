/// One `[[tls.sni]]` entry: the certificate served when a client asks for `hostname` by SNI (RFC 6066 §3).
public struct SNICertificate: Sendable, Equatable {
    /// The server name as written in the file, e.g. `mail.example.net` or `*.example.net`.
    public var hostname: String
    /// PEM certificate chain, leaf first.
    public var certificate: String
    /// PEM private key of the leaf certificate.
    public var privateKey: String

    public init(hostname: String, certificate: String, privateKey: String) {
        self.hostname = hostname
        self.certificate = certificate
        self.privateKey = privateKey
    }
}
