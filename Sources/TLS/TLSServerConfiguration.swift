/// Everything needed to build a `TLSServerContext` for one listener.
public struct TLSServerConfiguration: Sendable, Equatable {
    /// The certificate used when the client sends no SNI name or one without its own entry.
    public var certificate: TLSCertificateFiles
    /// Extra certificates chosen by the SNI host name (exact match, case-insensitive).
    public var sniCertificates: [String: TLSCertificateFiles]
    /// The oldest protocol version accepted (default TLS 1.2).
    public var minimumVersion: TLSMinimumVersion
    /// Strict ALPN id (e.g. "imap", "pop3", "smtp"): a client that offers ALPN must offer this
    /// id or the handshake fails with a no_application_protocol alert (ALPACA mitigation).
    /// Clients that offer no ALPN are accepted. `nil` disables ALPN.
    public var applicationProtocol: String?

    public init(
        certificate: TLSCertificateFiles,
        sniCertificates: [String: TLSCertificateFiles] = [:],
        minimumVersion: TLSMinimumVersion = .tls12,
        applicationProtocol: String? = nil
    ) {
        self.certificate = certificate
        self.sniCertificates = sniCertificates
        self.minimumVersion = minimumVersion
        self.applicationProtocol = applicationProtocol
    }
}
