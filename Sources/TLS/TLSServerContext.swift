import Foundation
internal import COpenSSL

/// A configured OpenSSL server context (`SSL_CTX`) for one listener, built once off the event
/// loop and shared by all of its connections.
///
/// Contract: `init` reads and checks every file (readable, PEM, key matches certificate, not
/// expired) and configures OpenSSL completely; afterwards the context is immutable and only
/// `SSL_new` is called on it, which is safe from any thread. Live connections keep the context
/// they started with, so a reload never disturbs them.
public final class TLSServerContext: @unchecked Sendable {
    /// A certificate expiring sooner than this produces a warning.
    public static let expiryWarningInterval: TimeInterval = 14 * 24 * 3600

    /// TLS 1.2 cipher suites (TLS 1.3 suites are OpenSSL's defaults): forward secret AEAD only.
    static let cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!SHA1:!MD5"

    /// The configuration this context was built from.
    public let configuration: TLSServerConfiguration
    /// Human-readable warnings for the caller to log (e.g. a certificate expiring within 14 days,
    /// with its date). Empty when all is well.
    public let warnings: [String]
    /// The notAfter of the default certificate's leaf.
    public let notAfter: Date

    /// The default `SSL_CTX*`; SNI may switch a connection to one in `callbackData`.
    private let defaultContext: OpaquePointer
    private let callbackData: TLSCallbackData

    /// Builds the context. Blocking (reads files): call it off the event loop.
    /// - Parameters:
    ///   - challenges: pending ACME tls-alpn-01 challenges this listener answers (RFC 8737).
    ///   - now: the time certificate validity is checked against.
    /// - Throws: `TLSError` naming the file and the problem.
    public init(configuration: TLSServerConfiguration, challenges: TLSALPNChallenges? = nil, now: Date = Date()) throws {
        var alpn: [UInt8]?
        if let id = configuration.applicationProtocol {
            alpn = Array(id.utf8)
            guard (1...255).contains(alpn!.count) else {
                throw TLSError(kind: .invalidConfiguration,
                               message: "ALPN protocol id \"\(id)\" must be 1 to 255 bytes long")
            }
        }
        var warnings: [String] = []
        let (defaultContext, notAfter) = try Self.makeContext(
            configuration.certificate, configuration.minimumVersion, now: now, warnings: &warnings)
        var sniContexts: [String: OpaquePointer] = [:]
        do {
            for (host, files) in configuration.sniCertificates.sorted(by: { $0.key < $1.key }) {
                let (context, _) = try Self.makeContext(files, configuration.minimumVersion, now: now, warnings: &warnings)
                if let previous = sniContexts.updateValue(context, forKey: host.lowercased()) {
                    SSL_CTX_free(previous)
                }
            }
        } catch {
            SSL_CTX_free(defaultContext)
            for context in sniContexts.values { SSL_CTX_free(context) }
            throw error
        }
        let callbackData = TLSCallbackData(sniContexts: sniContexts, applicationProtocol: alpn, challenges: challenges)
        callbackData.install(on: defaultContext)
        for context in sniContexts.values { callbackData.install(on: context) }

        self.configuration = configuration
        self.warnings = warnings
        self.notAfter = notAfter
        self.defaultContext = defaultContext
        self.callbackData = callbackData
    }

    deinit {
        SSL_CTX_free(defaultContext)
    }

    /// A new server-side `SSL*` for one connection (the caller owns it), or nil if OpenSSL fails.
    func makeSSL() -> OpaquePointer? {
        SSL_new(defaultContext)
    }

    /// One `SSL_CTX` with the house options and the given certificate chain and key.
    private static func makeContext(
        _ files: TLSCertificateFiles, _ minimumVersion: TLSMinimumVersion, now: Date, warnings: inout [String]
    ) throws -> (OpaquePointer, Date) {
        let certificates = try PEMFiles.certificates(at: files.certificatePath)
        defer { certificates.forEach { X509_free($0) } }
        let key = try PEMFiles.privateKey(at: files.privateKeyPath)
        defer { EVP_PKEY_free(key) }
        let leaf = certificates[0]

        guard X509_check_private_key(leaf, key) == 1 else {
            ERR_clear_error()
            throw TLSError(kind: .keyMismatch, file: files.privateKeyPath,
                           message: "private key \(files.privateKeyPath) does not match certificate \(files.certificatePath)")
        }
        let validity = PEMFiles.validity(of: leaf)
        guard let notAfter = validity.notAfter else {
            throw TLSError(kind: .invalidCertificate, file: files.certificatePath,
                           message: "certificate \(files.certificatePath) has an unreadable notAfter date")
        }
        let formattedNotAfter = notAfter.formatted(.iso8601)
        guard notAfter > now else {
            throw TLSError(kind: .certificateExpired, file: files.certificatePath,
                           message: "certificate \(files.certificatePath) expired on \(formattedNotAfter)")
        }
        if notAfter.timeIntervalSince(now) < expiryWarningInterval {
            let days = Int(notAfter.timeIntervalSince(now) / 86400)
            warnings.append("certificate \(files.certificatePath) expires on \(formattedNotAfter) (in \(days) days)")
        }
        if let notBefore = validity.notBefore, notBefore > now {
            warnings.append("certificate \(files.certificatePath) is not valid before \(notBefore.formatted(.iso8601))")
        }

        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "SSL_CTX_new failed")
        }
        do {
            try configure(context, files: files, minimumVersion: minimumVersion, certificates: certificates, key: key)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        return (context, notAfter)
    }

    private static func configure(
        _ context: OpaquePointer, files: TLSCertificateFiles, minimumVersion: TLSMinimumVersion,
        certificates: [OpaquePointer], key: OpaquePointer
    ) throws {
        func check(_ ok: Bool, _ what: String, file: String? = nil) throws {
            if !ok { throw TLSError.fromOpenSSL(.openSSLFailure, file: file, what) }
        }
        try check(cssl_CTX_set_min_proto_version(context, minimumVersion.openSSLVersion) == 1,
                  "cannot set the minimum TLS version \(minimumVersion.rawValue)")
        // RFC 8997 floor above; no TLS compression (CRIME), no renegotiation, our cipher order.
        _ = SSL_CTX_set_options(context, cssl_OP_ALL() | cssl_OP_NO_COMPRESSION()
                                    | cssl_OP_NO_RENEGOTIATION() | cssl_OP_CIPHER_SERVER_PREFERENCE())
        try check(SSL_CTX_set_cipher_list(context, cipherList) == 1, "cannot set the cipher list")
        _ = cssl_CTX_set_mode(context, cssl_MODE_RELEASE_BUFFERS())
        try check(SSL_CTX_use_certificate(context, certificates[0]) == 1,
                  "cannot use certificate \(files.certificatePath)", file: files.certificatePath)
        for intermediate in certificates.dropFirst() {
            try check(cssl_CTX_add1_chain_cert(context, intermediate) == 1,
                      "cannot add a chain certificate from \(files.certificatePath)", file: files.certificatePath)
        }
        try check(SSL_CTX_use_PrivateKey(context, key) == 1,
                  "cannot use private key \(files.privateKeyPath)", file: files.privateKeyPath)
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.fromOpenSSL(
                .keyMismatch, file: files.privateKeyPath,
                "private key \(files.privateKeyPath) does not match certificate \(files.certificatePath)")
        }
    }
}
