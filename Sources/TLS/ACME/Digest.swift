internal import COpenSSL

/// Message digests through OpenSSL.
public enum Digest {
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let input = Array(bytes)
        guard EVP_Digest(input, input.count, &digest, &length, EVP_sha256(), nil) == 1 else {
            ERR_clear_error()
            return []
        }
        return Array(digest.prefix(Int(length)))
    }
}
