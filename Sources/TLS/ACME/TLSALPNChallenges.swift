import Foundation
internal import COpenSSL
import Synchronization

/// The pending ACME tls-alpn-01 challenges (RFC 8737), shared by every TLS listener: a CA's validation
/// connection that offers the ALPN id `acme-tls/1` for a name in this table gets that name's challenge
/// certificate and is closed right after the handshake (RFC 8737 §3). Thread-safe.
public final class TLSALPNChallenges: Sendable {
    /// The ALPN protocol id of a validation connection (RFC 8737 §6.2).
    public static let applicationProtocol = "acme-tls/1"
    /// The id in ALPN wire form (length-prefixed).
    static let applicationProtocolBytes = Array(applicationProtocol.utf8)

    private let certificates = Mutex<[String: TLSALPNChallengeCertificate]>([:])

    public init() {}

    /// Answers validations for `name` with a fresh certificate for `keyAuthorization` until `remove`.
    /// Blocking (key generation): call off the event loop.
    public func add(name: String, keyAuthorization: String) throws {
        let name = name.lowercased()
        let certificate = try TLSALPNChallengeCertificate(name: name, keyAuthorization: keyAuthorization)
        certificates.withLock { $0[name] = certificate }
    }

    public func remove(name: String) {
        certificates.withLock { $0[name.lowercased()] = nil }
    }

    func certificate(for name: String) -> TLSALPNChallengeCertificate? {
        certificates.withLock { $0[name.lowercased()] }
    }

    /// The extnValue of id-pe-acmeIdentifier (RFC 8737 §3): the DER `Authorization ::= OCTET STRING
    /// (SIZE (32))` holding the SHA-256 digest of the key authorization.
    public static func acmeIdentifierExtensionValue(keyAuthorization: String) -> [UInt8] {
        [0x04, 0x20] + SHA256Digest.digest(Array(keyAuthorization.utf8))
    }
}

/// One tls-alpn-01 certificate and its key (RFC 8737 §3): self-signed, subjectAltName the one dNSName
/// being validated, and the critical acmeIdentifier extension. Immutable; freed with its last reference.
final class TLSALPNChallengeCertificate: @unchecked Sendable {
    /// id-pe-acmeIdentifier (RFC 8737 §6.1).
    static let acmeIdentifierOID = "1.3.6.1.5.5.7.1.31"

    let certificate: OpaquePointer
    let key: OpaquePointer

    init(name: String, keyAuthorization: String) throws {
        ERR_clear_error()
        guard let key = cssl_EC_gen_P256() else { throw TLSError.fromOpenSSL(.openSSLFailure, "cannot generate a key") }
        let value = TLSALPNChallenges.acmeIdentifierExtensionValue(keyAuthorization: keyAuthorization)
        do {
            certificate = try SelfSignedCertificate.makeCertificate(
                key: key, commonName: name, subjectAltNames: try SelfSignedCertificate.subjectAltNameValue([name]),
                notBefore: Date(), validDays: 7
            ) { certificate in
                guard cssl_add_critical_ext_der(certificate, Self.acmeIdentifierOID, value, Int32(value.count)) == 1 else {
                    throw TLSError.fromOpenSSL(.openSSLFailure, "cannot add the acmeIdentifier extension")
                }
            }
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// Makes `ssl` (inside its ClientHello processing) present this certificate.
    func install(on ssl: OpaquePointer) -> Bool {
        SSL_use_certificate(ssl, certificate) == 1 && SSL_use_PrivateKey(ssl, key) == 1
    }
}
