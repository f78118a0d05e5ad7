internal import COpenSSL

/// SHA-256 (FIPS 180-4) through OpenSSL, for the code above `TLS` that needs a digest (certificate
/// fingerprints, the MTA-STS policy id).
public enum SHA256Digest {
    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // EVP_Digest fails only when OpenSSL cannot allocate; an empty digest is then what callers compare against.
        guard EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1 else {
            ERR_clear_error()
            return []
        }
        return Array(digest.prefix(Int(length)))
    }

    /// `bytes` in lower-case hex, two digits a byte.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
