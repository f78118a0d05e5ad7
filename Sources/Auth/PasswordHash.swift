internal import CCrypt

/// Password hashing and verification through the system libcrypt (libxcrypt).
///
/// Both functions block for as long as the hash takes (about 25 ms for default yescrypt):
/// call them from a thread pool, never from an event loop. They are thread-safe: each call uses
/// its own heap-allocated `crypt_data` scratch area with the reentrant `crypt_rn`
/// (plain `crypt()` shares static state and crashes when called concurrently).
public enum PasswordHash {
    /// libcrypt rejects longer passphrases (`CRYPT_MAX_PASSPHRASE_SIZE`).
    static let maximumPasswordBytes = 512

    /// Checks `password` against a stored crypt(3) string such as `$y$…`, `$6$…`, `$2b$…`.
    ///
    /// Returns `false` — never crashes — for a wrong password, a hash libcrypt cannot use
    /// (NULL or `*` failure token), a hash that is not in modular crypt format (`$id$…`; this also
    /// refuses the weak traditional DES scheme and locked entries like `!$6$…`), or a password
    /// containing a NUL byte (C strings would silently truncate it). The result is compared with
    /// the stored hash in constant time.
    public static func verify(password: String, against hash: String) -> Bool {
        guard hash.hasPrefix("$"), isUsable(password) else { return false }
        guard let computed = runCrypt(password: password, setting: hash) else { return false }
        return constantTimeEquals(Array(computed.utf8), Array(hash.utf8))
    }

    /// Hashes `password` with a fresh random salt from libcrypt (OS randomness).
    ///
    /// - Throws: `PasswordHashError` if the password contains a NUL byte or is longer than 512 bytes,
    ///   or libcrypt fails.
    public static func make(password: String, scheme: PasswordScheme = .yescrypt) throws(PasswordHashError) -> String {
        guard !password.utf8.contains(0) else { throw .unusablePassword("it contains a NUL byte") }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw .unusablePassword("it is longer than \(maximumPasswordBytes) bytes")
        }
        var settingBuffer = [CChar](repeating: 0, count: 192) // CRYPT_GENSALT_OUTPUT_SIZE
        let generated = settingBuffer.withUnsafeMutableBufferPointer { buffer in
            crypt_gensalt_rn(scheme.gensaltPrefix, scheme.gensaltCount, nil, 0, buffer.baseAddress, Int32(buffer.count))
        }
        guard generated != nil else { throw .saltGenerationFailed(scheme) }
        let setting = String(decoding: settingBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let hash = runCrypt(password: password, setting: setting), hash.hasPrefix("$") else {
            throw .hashingFailed(scheme)
        }
        return hash
    }

    private static func isUsable(_ password: String) -> Bool {
        !password.utf8.contains(0) && password.utf8.count <= maximumPasswordBytes
    }

    /// One `crypt_rn` call with a private, zeroed scratch area that is wiped afterwards
    /// (it held the password). Returns nil on libcrypt failure, including the `*` failure tokens.
    private static func runCrypt(password: String, setting: String) -> String? {
        let size = Int(ccrypt_data_size())
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            ccrypt_wipe(scratch, size)
            scratch.deallocate()
        }
        guard let output = crypt_rn(password, setting, scratch, Int32(size)) else { return nil }
        let result = String(cString: output)
        return result.hasPrefix("*") ? nil : result
    }

    /// Compares two byte strings without an early exit, so the time does not reveal where they
    /// differ. (The length of a stored hash is not secret.)
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
