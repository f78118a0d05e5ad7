import Foundation
internal import COpenSSL

/// A private key that signs JWS messages (RFC 7515) for an ACME account, and the key of a certificate
/// Loft asks a CA for: ECDSA P-256 (`ES256`) or RSA 2048 (`RS256`), RFC 7518 §3.
///
/// Immutable after init; OpenSSL's signing with a shared `EVP_PKEY` is thread-safe.
public final class JWSSigningKey: @unchecked Sendable {
    public enum KeyType: String, Sendable, Equatable, CaseIterable {
        case ecdsaP256 = "ecdsa-p256"
        /// RSA: generated with 2048 bits; a loaded key may be longer.
        case rsa2048 = "rsa-2048"
    }

    public let keyType: KeyType
    let key: OpaquePointer

    private init(key: OpaquePointer) throws {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_EC:
            guard EVP_PKEY_get_bits(key) == 256 else {
                EVP_PKEY_free(key)
                throw TLSError(kind: .invalidPrivateKey, message: "only P-256 EC keys can sign ACME requests")
            }
            keyType = .ecdsaP256
        case EVP_PKEY_RSA:
            keyType = .rsa2048
        default:
            EVP_PKEY_free(key)
            throw TLSError(kind: .invalidPrivateKey, message: "the key is neither ECDSA P-256 nor RSA")
        }
        self.key = key
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// A fresh key. Blocking (RSA takes tens of milliseconds): call it off the event loop.
    public static func generate(_ type: KeyType) throws -> JWSSigningKey {
        ERR_clear_error()
        guard let key = type == .ecdsaP256 ? cssl_EC_gen_P256() : cssl_RSA_gen(2048) else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot generate a private key")
        }
        return try JWSSigningKey(key: key)
    }

    /// The key in a PEM file (unencrypted PKCS#8 or traditional).
    public static func load(pemFile path: String) throws -> JWSSigningKey {
        try JWSSigningKey(key: PEMFiles.privateKey(at: path))
    }

    /// The private key as unencrypted PKCS#8 PEM, for a 0600 file.
    public func privateKeyPEM() throws -> [UInt8] {
        try SelfSignedCertificate.pem("private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// The JWS `alg` (RFC 7518 §3.1).
    public var algorithm: String {
        keyType == .ecdsaP256 ? "ES256" : "RS256"
    }

    /// The public JWK's members (RFC 7517, RFC 7518 §6.2.1 and §6.3.1), base64url values.
    public func publicJWK() throws -> [String: String] {
        switch keyType {
        case .ecdsaP256:
            var encoded: UnsafeMutablePointer<UInt8>?
            let length = EVP_PKEY_get1_encoded_public_key(key, &encoded)
            defer { CRYPTO_free(encoded, #fileID, #line) }
            // The uncompressed point: 0x04 || X || Y, 32 bytes each.
            guard length == 65, let encoded, encoded[0] == 4 else {
                throw TLSError.fromOpenSSL(.openSSLFailure, "cannot read the EC public key")
            }
            let point = Array(UnsafeBufferPointer(start: encoded, count: 65))
            return ["kty": "EC", "crv": "P-256",
                    "x": Base64URL.encode(point[1...32]), "y": Base64URL.encode(point[33...64])]
        case .rsa2048:
            return ["kty": "RSA", "n": Base64URL.encode(try bignum("n")), "e": Base64URL.encode(try bignum("e"))]
        }
    }

    /// The JWK thumbprint of this key (RFC 7638 §3).
    public func thumbprint() throws -> String {
        Self.thumbprint(jwk: try publicJWK())
    }

    /// The JWK thumbprint (RFC 7638 §3): SHA-256 over the required members in lexicographic order,
    /// without whitespace, base64url-encoded.
    public static func thumbprint(jwk: [String: String]) -> String {
        Base64URL.encode(SHA256Digest.digest(Array(canonicalJSON(jwk).utf8)))
    }

    /// `{"a":"..","b":".."}` with the keys sorted and no whitespace (RFC 7638 §3.3). The values here are
    /// base64url or fixed names, so they need no escaping.
    static func canonicalJSON(_ members: [String: String]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }

    /// The JWS signature of `message` (the ASCII "protected.payload"): for ES256 the raw r || s, 32 bytes
    /// each (RFC 7518 §3.4), not OpenSSL's DER; for RS256 PKCS #1 v1.5 (RFC 7518 §3.3).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        let signature = try PrivateKeySignature.sign(message, key: key, sha256: true, what: "a JWS signature")
        return keyType == .ecdsaP256 ? try Self.rawECDSASignature(der: signature) : signature
    }

    /// ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) to r || s, each left-padded to 32 bytes.
    private static func rawECDSASignature(der: [UInt8]) throws -> [UInt8] {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw TLSError.fromOpenSSL(.openSSLFailure, "cannot decode an ECDSA signature") }
        defer { ECDSA_SIG_free(parsed) }
        var raw = [UInt8](repeating: 0, count: 64)
        let r = ECDSA_SIG_get0_r(parsed), s = ECDSA_SIG_get0_s(parsed)
        let ok = raw.withUnsafeMutableBufferPointer { buffer in
            BN_bn2binpad(r, buffer.baseAddress, 32) == 32 && BN_bn2binpad(s, buffer.baseAddress! + 32, 32) == 32
        }
        guard ok else { throw TLSError.fromOpenSSL(.openSSLFailure, "cannot encode an ECDSA signature") }
        return raw
    }

    private func bignum(_ name: String) throws -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot read the RSA parameter \(name)")
        }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(number) + 7) / 8))
        _ = BN_bn2bin(number, &bytes)
        return bytes
    }
}
