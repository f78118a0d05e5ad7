internal import COpenSSL

/// A configured OpenSSL client context (`SSL_CTX`) for outbound connections, built once off the
/// event loop and shared by every connection.
///
/// Contract: `init` loads the trust store (the system's and/or an extra CA file) and enables DANE
/// (`SSL_CTX_dane_enable`); afterwards the context is immutable and only `SSL_new` is called on
/// it, which is safe from any thread. Certificates are never checked during the handshake
/// (`SSL_VERIFY_NONE`): `TLSClientHandler` reports the outcome and the caller decides.
public final class TLSClientContext: @unchecked Sendable {
    /// The configuration this context was built from.
    public let configuration: TLSClientConfiguration

    private let context: OpaquePointer

    /// Builds the context. Blocking (reads the trust store): call it off the event loop.
    /// - Throws: `TLSError` naming the file and the problem (`extraTrustAnchorsFile` missing, or
    ///   holding no PEM certificate), or OpenSSL's reason.
    public init(configuration: TLSClientConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "SSL_CTX_new failed")
        }
        do {
            try Self.configure(context, configuration)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.configuration = configuration
        self.context = context
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A new client-side `SSL*` for one connection (the caller owns it), or nil if OpenSSL fails.
    func makeSSL() -> OpaquePointer? {
        SSL_new(context)
    }

    private static func configure(_ context: OpaquePointer, _ configuration: TLSClientConfiguration) throws {
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw TLSError.fromOpenSSL(.openSSLFailure, what) }
        }
        if let only = configuration.onlyVersion {
            try check(cssl_CTX_set_min_proto_version(context, only.openSSLVersion) == 1
                      && cssl_CTX_set_max_proto_version(context, only.openSSLVersion) == 1,
                      "cannot limit the client to TLS \(only.rawValue)")
            if only < .tls12 { SSL_CTX_set_security_level(context, 0) }
        } else {
            try check(cssl_CTX_set_min_proto_version(context, configuration.minimumVersion.openSSLVersion) == 1,
                      "cannot set the minimum TLS version \(configuration.minimumVersion.rawValue)")
        }
        // RFC 8997 floor above; no TLS compression (CRIME), no renegotiation. The cipher list
        // stays OpenSSL's default: an MTA meets every kind of server and opportunistic TLS
        // beats plaintext (RFC 7435).
        _ = SSL_CTX_set_options(context, cssl_OP_ALL() | cssl_OP_NO_COMPRESSION() | cssl_OP_NO_RENEGOTIATION())
        _ = cssl_CTX_set_mode(context, cssl_MODE_RELEASE_BUFFERS())
        // The handshake never fails on the certificate; the verify result is read afterwards.
        // No SSL_CTX_set_cert_verify_callback: it would replace X509_verify_cert and so disable DANE.
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)

        if configuration.useSystemTrustStore {
            try check(SSL_CTX_set_default_verify_paths(context) == 1, "cannot load the system trust store")
        }
        if let path = configuration.extraTrustAnchorsFile {
            let anchors = try PEMFiles.certificates(at: path, what: "CA")
            defer { anchors.forEach { X509_free($0) } }
            let store = SSL_CTX_get_cert_store(context)
            for anchor in anchors {
                guard X509_STORE_add_cert(store, anchor) == 1 else {
                    throw TLSError.fromOpenSSL(.invalidCertificate, file: path, "cannot add a trust anchor from CA file \(path)")
                }
            }
        }
        // RFC 7672 needs DANE-TA(2) and DANE-EE(3); OpenSSL's defaults enable both with
        // SHA-256 and SHA-512 matching.
        try check(SSL_CTX_dane_enable(context) > 0, "cannot enable DANE")
    }
}
