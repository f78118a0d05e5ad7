/// Everything needed to build a `TLSClientContext` (outbound connections).
public struct TLSClientConfiguration: Sendable, Equatable {
    /// Trust the system's CA store (`SSL_CTX_set_default_verify_paths`; on Debian /etc/ssl/certs).
    public var useSystemTrustStore: Bool
    /// A PEM file of extra trust anchors added to the store ("ca_file" in the config): a private
    /// CA, or a test CA. Every certificate in it becomes a trust anchor.
    public var extraTrustAnchorsFile: String?
    /// The oldest protocol version offered (default TLS 1.2, RFC 8997).
    public var minimumVersion: TLSMinimumVersion

    public init(useSystemTrustStore: Bool = true, extraTrustAnchorsFile: String? = nil,
                minimumVersion: TLSMinimumVersion = .tls12) {
        self.useSystemTrustStore = useSystemTrustStore
        self.extraTrustAnchorsFile = extraTrustAnchorsFile
        self.minimumVersion = minimumVersion
    }
}
