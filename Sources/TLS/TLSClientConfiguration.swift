/// Everything needed to build a `TLSClientContext` (outbound connections).
public struct TLSClientConfiguration: Sendable, Equatable {
    /// Trust the system's CA store (`SSL_CTX_set_default_verify_paths`; on Debian /etc/ssl/certs).
    public var useSystemTrustStore: Bool
    /// A PEM file of extra trust anchors added to the store ("ca_file" in the config): a private
    /// CA, or a test CA. Every certificate in it becomes a trust anchor.
    public var extraTrustAnchorsFile: String?
    /// The oldest protocol version offered (default TLS 1.2, RFC 8997).
    public var minimumVersion: TLSMinimumVersion
    /// For probes only (`loft check-tls` sweeping versions), never for delivery: offer exactly this
    /// version, one context per version asked about, in place of `minimumVersion` and the newest.
    /// A maximum alone would not do, since asking about TLS 1.0 and 1.1 needs a floor below
    /// RFC 8997's; those two are offered at OpenSSL security level 0, because their handshakes
    /// sign with MD5+SHA-1, which every higher level forbids in OpenSSL 3.
    public var onlyVersion: TLSProtocolVersion?

    public init(useSystemTrustStore: Bool = true, extraTrustAnchorsFile: String? = nil,
                minimumVersion: TLSMinimumVersion = .tls12, onlyVersion: TLSProtocolVersion? = nil) {
        self.useSystemTrustStore = useSystemTrustStore
        self.extraTrustAnchorsFile = extraTrustAnchorsFile
        self.minimumVersion = minimumVersion
        self.onlyVersion = onlyVersion
    }
}
