import Foundation
internal import COpenSSL
import POSIXSupport

/// A DKIM private key (RFC 6376 §3.3, RFC 8463): loaded from an unencrypted PEM file, it signs the
/// DKIM signing input and gives the public key for the `p=` tag of the DNS record.
/// Loading, signing and generating block (file I/O, RSA): call from a thread pool.
public final class DKIMSigningKey: @unchecked Sendable {  // the EVP_PKEY is only read after init
    /// The signing algorithms of the `a=` tag, and the key types behind them.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        /// RSASSA-PKCS1-v1_5 with SHA-256, keys of at least 2048 bits (RFC 8301 §3.2).
        case rsaSHA256 = "rsa-sha256"
        /// Ed25519 over the SHA-256 hash of the input (RFC 8463 §3).
        case ed25519SHA256 = "ed25519-sha256"

        /// The `k=` tag of the DNS record (RFC 6376 §3.6.1, RFC 8463 §4).
        public var keyType: String { self == .rsaSHA256 ? "rsa" : "ed25519" }
    }

    /// The smallest RSA key Loft signs with (RFC 8301 §3.2: verifiers may refuse less than 1024 bits;
    /// 2048 is what receivers expect today).
    public static let minimumRSABits: Int32 = 2048

    public let algorithm: Algorithm
    /// The `p=` value: base64 of the DER SubjectPublicKeyInfo for RSA (RFC 6376 §3.6.1), of the raw
    /// 32-byte key for Ed25519 (RFC 8463 §4).
    public let publicKeyBase64: String
    private let key: OpaquePointer

    /// Loads the PEM private key at `path`.
    /// - Throws: `TLSError` naming the file: missing, unreadable, not a key, a key type DKIM cannot use,
    ///   or an RSA key shorter than 2048 bits.
    public init(path: String) throws {
        let key = try PEMFiles.privateKey(at: path)
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA:
            let bits = EVP_PKEY_get_bits(key)
            guard bits >= Self.minimumRSABits else {
                EVP_PKEY_free(key)
                throw TLSError(kind: .invalidPrivateKey, file: path,
                               message: "DKIM key file \(path) holds a \(bits)-bit RSA key; at least \(Self.minimumRSABits) bits are needed")
            }
            algorithm = .rsaSHA256
        case EVP_PKEY_ED25519:
            algorithm = .ed25519SHA256
        default:
            EVP_PKEY_free(key)
            throw TLSError(kind: .invalidPrivateKey, file: path,
                           message: "DKIM key file \(path) holds neither an RSA nor an Ed25519 key")
        }
        guard let publicKey = Self.publicKeyBytes(key, algorithm: algorithm) else {
            EVP_PKEY_free(key)
            throw TLSError.fromOpenSSL(.invalidPrivateKey, file: path, "cannot derive the public key of \(path)")
        }
        self.key = key
        publicKeyBase64 = Data(publicKey).base64EncodedString()
    }

    deinit { EVP_PKEY_free(key) }

    /// The signature of `data` for the `b=` tag (before base64): RSASSA-PKCS1-v1_5 over SHA-256 of
    /// `data`, or Ed25519 over the SHA-256 hash of `data` (RFC 8463 §3: the hash is what is signed).
    public func sign(_ data: [UInt8]) throws -> [UInt8] {
        switch algorithm {
        case .rsaSHA256: try PrivateKeySignature.sign(data, key: key, sha256: true, what: "a DKIM signature")
        case .ed25519SHA256: try PrivateKeySignature.sign(SHA256Digest.digest(data), key: key, sha256: false, what: "a DKIM signature")
        }
    }

    /// Generates a new key (RSA 2048 bits or Ed25519) and writes it as an unencrypted PKCS#8 PEM file at
    /// `path`, created with mode 0600 and made durable (file and directory fsynced). Never replaces a file.
    /// - Throws: `TLSError` when the file exists or cannot be written, or OpenSSL fails.
    public static func generate(_ algorithm: Algorithm, path: String) throws {
        ERR_clear_error()
        guard let key = algorithm == .rsaSHA256 ? cssl_RSA_gen(UInt32(minimumRSABits)) : newEd25519Key() else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot generate a DKIM key")
        }
        defer { EVP_PKEY_free(key) }
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.fromOpenSSL(.openSSLFailure, "BIO_new failed") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot encode the DKIM key as PEM")
        }
        var pem = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        let count = BIO_read(bio, &pem, Int32(pem.count))
        pem.removeSubrange(Int(max(count, 0))...)
        // O_EXCL: an existing key is never overwritten, even by a race.
        let fd: Int32
        do {
            fd = try POSIXFile<SystemCallError>.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        } catch let error as SystemCallError {
            throw TLSError(kind: .fileUnreadable, file: path,
                           message: error.errno == EEXIST ? "\(path) already exists; not overwriting a key" : "\(error)")
        }
        defer { POSIXFile<SystemCallError>.close(fd) }
        do {
            try pem.withUnsafeBytes { try POSIXFile<SystemCallError>.writeAll(fd, $0, path: path) }
            try POSIXFile<SystemCallError>.fsync(fd, path: path)
            try POSIXFile<SystemCallError>.fsyncDirectory(directory(of: path))
        } catch {
            _ = try? POSIXFile<SystemCallError>.unlink(path)  // no half-written key left to block the next try
            throw TLSError(kind: .fileUnreadable, file: path, message: "\(error)")
        }
    }

    private static func newEd25519Key() -> OpaquePointer? {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1 else { return nil }
        return key
    }

    private static func publicKeyBytes(_ key: OpaquePointer, algorithm: Algorithm) -> [UInt8]? {
        switch algorithm {
        case .rsaSHA256:
            let length = i2d_PUBKEY(key, nil)
            guard length > 0 else { return nil }
            var bytes = [UInt8](repeating: 0, count: Int(length))
            let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var cursor = buffer.baseAddress
                return i2d_PUBKEY(key, &cursor)
            }
            return written == length ? bytes : nil
        case .ed25519SHA256:
            var length = 32
            var bytes = [UInt8](repeating: 0, count: length)
            guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1, length == 32 else { return nil }
            return bytes
        }
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
