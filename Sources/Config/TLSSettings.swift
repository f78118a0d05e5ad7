/// The `[tls]` section: the default certificate, the lowest protocol version accepted, and more
/// certificates chosen by SNI. Paths are absolute once loaded (relative ones are resolved against the
/// configuration file's directory).
public struct TLSSettings: Sendable, Equatable {
    /// The lowest TLS version a listener accepts (`min_version = "1.2"` or `"1.3"`).
    public enum MinimumVersion: String, Sendable, Equatable, CaseIterable {
        /// TLS 1.2, the floor set by RFC 8997.
        case tls12 = "1.2"
        /// TLS 1.3 only.
        case tls13 = "1.3"
    }

    /// The default for `min_version`: TLS 1.2 (RFC 8997 deprecates 1.0 and 1.1).
    public static let defaultMinVersion = MinimumVersion.tls12

    /// PEM certificate chain, leaf first.
    public var certificate: String
    /// PEM private key of the leaf certificate.
    public var privateKey: String
    public var minVersion: MinimumVersion
    /// More certificates, chosen by the SNI name the client sends (`[[tls.sni]]`).
    public var sni: [SNICertificate]
    /// A PEM private key staged for the next certificate (`next_key`), so its TLSA record can be published
    /// before the switch (RFC 7671 §8.1); `loft dns` prints it. Not used for TLS.
    public var nextKey: String?
    /// `[tls.acme]`: certificates from an ACME CA. When set, `certificate` and `private_key` are either the
    /// ACME files (no static default configured) or `sni` has an entry with the ACME files per ACME name.
    public var acme: ACMESettings?

    public init(
        certificate: String,
        privateKey: String,
        minVersion: MinimumVersion = TLSSettings.defaultMinVersion,
        sni: [SNICertificate] = [],
        nextKey: String? = nil,
        acme: ACMESettings? = nil
    ) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.minVersion = minVersion
        self.sni = sni
        self.nextKey = nextKey
        self.acme = acme
    }
}
