internal import COpenSSL

/// One signature with a private key through `EVP_DigestSign`, for ACME's JWS and DKIM.
enum PrivateKeySignature {
    /// The signature of `message` with `key` (an `EVP_PKEY*`, borrowed), hashing with SHA-256 first when
    /// `sha256` is set; without it the algorithm signs `message` itself (Ed25519 has no digest of its own).
    /// `what` names the signature in errors ("a DKIM signature").
    static func sign(_ message: [UInt8], key: OpaquePointer, sha256: Bool, what: String) throws -> [UInt8] {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { throw TLSError.fromOpenSSL(.openSSLFailure, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, sha256 ? EVP_sha256() : nil, nil, key) == 1 else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot start \(what)")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot size \(what)")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot make \(what)")
        }
        return Array(signature.prefix(length))
    }
}
