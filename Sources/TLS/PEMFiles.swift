import Foundation
internal import COpenSSL

/// Reading certificate chains and private keys from PEM files, with errors that name the file.
/// Returned OpenSSL objects are owned by the caller (`X509_free` / `EVP_PKEY_free`).
enum PEMFiles {
    /// The bytes of `path`, or a `TLSError` saying whether it is missing or unreadable.
    static func read(_ path: String, what: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSError(kind: .fileUnreadable, file: path, message: "\(what) file \(path) does not exist")
        }
        guard !isDirectory.boolValue else {
            throw TLSError(kind: .fileUnreadable, file: path, message: "\(what) file \(path) is a directory")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSError(kind: .fileUnreadable, file: path,
                           message: "\(what) file \(path) cannot be read (check its permissions)")
        }
        return [UInt8](data)
    }

    /// All certificates in a PEM file, in file order (a chain: leaf first). Throws if there is none.
    /// - Parameter what: how errors name the file ("certificate", "CA").
    static func certificates(at path: String, what: String = "certificate") throws -> [OpaquePointer] {
        let bytes = try read(path, what: what)
        var certificates: [OpaquePointer] = []
        bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return }
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(certificate)
            }
        }
        // The loop always ends with a "no start line" entry in the error queue.
        ERR_clear_error()
        guard !certificates.isEmpty else {
            throw TLSError(kind: .invalidCertificate, file: path,
                           message: "\(what) file \(path) contains no PEM certificate "
                               + "(expected a \"-----BEGIN CERTIFICATE-----\" block)")
        }
        return certificates
    }

    /// The (unencrypted) private key in a PEM file.
    static func privateKey(at path: String) throws -> OpaquePointer {
        let bytes = try read(path, what: "private key")
        let key: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            // A password callback that refuses: without it OpenSSL would prompt on the terminal
            // for an encrypted key.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        guard let key else {
            throw TLSError.fromOpenSSL(
                .invalidPrivateKey, file: path,
                "private key file \(path) contains no usable PEM private key "
                    + "(expected an unencrypted \"-----BEGIN PRIVATE KEY-----\" block)")
        }
        return key
    }

    /// The certificate's notBefore and notAfter.
    static func validity(of certificate: OpaquePointer) -> (notBefore: Date?, notAfter: Date?) {
        (date(X509_get0_notBefore(certificate)), date(X509_get0_notAfter(certificate)))
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
