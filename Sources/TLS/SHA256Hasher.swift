internal import COpenSSL

/// SHA-256 over OpenSSL, incrementally (a DKIM body hash over a message read in pieces); `SHA256Digest`
/// hashes a whole buffer in one call.
/// One hasher is used by one thread at a time.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        // EVP_MD_CTX_new fails only when memory is exhausted.
        context = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, bytes, bytes.count)
    }

    /// The 32-byte digest of everything given; call it once.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }
}
