import Foundation
internal import COpenSSL

/// Generates a self-signed server certificate and its key as PEM files (for the demo server
/// and for tests). OpenSSL 3.0 API; SHA-256 signature; subjectAltName from the given names.
public enum SelfSignedCertificate {
    /// The key algorithm of a generated certificate.
    public enum KeyType: Sendable {
        case ecdsaP256
        case rsa2048
    }

    /// Writes a new self-signed certificate to `certificatePath` (mode 0644) and its private key
    /// to `privateKeyPath` (mode 0600, PKCS#8). Existing files are replaced. Blocking.
    /// - Parameters:
    ///   - commonName: the subject CN.
    ///   - subjectAltNames: DNS names and IP addresses (IPv4 or IPv6) for the SAN extension.
    ///   - validDays: validity length in days, counted from `notBefore`.
    ///   - notBefore: start of validity (default now); a past date makes expired certificates for tests.
    /// - Throws: `TLSError` if a name is unusable, OpenSSL fails, or a file cannot be written.
    public static func generate(
        commonName: String,
        subjectAltNames: [String],
        validDays: Int,
        notBefore: Date = Date(),
        keyType: KeyType = .ecdsaP256,
        certificatePath: String,
        privateKeyPath: String
    ) throws {
        guard validDays > 0 else {
            throw TLSError(kind: .invalidConfiguration, message: "validDays must be positive, not \(validDays)")
        }
        let sanValue = try subjectAltNameValue(subjectAltNames)
        ERR_clear_error()
        guard let key = keyType == .ecdsaP256 ? cssl_EC_gen_P256() : cssl_RSA_gen(2048) else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "cannot generate a private key")
        }
        defer { EVP_PKEY_free(key) }
        let certificate = try makeCertificate(key: key, commonName: commonName, subjectAltNames: sanValue,
                                              notBefore: notBefore, validDays: validDays)
        defer { X509_free(certificate) }

        let certificatePEM = try pem("certificate") { PEM_write_bio_X509($0, certificate) }
        let keyPEM = try pem("private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        try writeFile(privateKeyPath, keyPEM, mode: 0o600)
        try writeFile(certificatePath, certificatePEM, mode: 0o644)
    }

    /// A signed self-signed X.509 v3 server certificate for `key` (the caller frees it with `X509_free`).
    /// - Parameters:
    ///   - subjectAltNames: in OpenSSL's config syntax (see `subjectAltNameValue`).
    ///   - addExtensions: adds more extensions before the signature.
    static func makeCertificate(
        key: OpaquePointer, commonName: String, subjectAltNames: String, notBefore: Date, validDays: Int,
        addExtensions: (OpaquePointer) throws -> Void = { _ in }
    ) throws -> OpaquePointer {
        guard let certificate = X509_new() else { throw TLSError.fromOpenSSL(.openSSLFailure, "X509_new failed") }
        var built = false
        defer { if !built { X509_free(certificate) } }

        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw TLSError.fromOpenSSL(.openSSLFailure, "cannot create the certificate: \(what)") }
        }
        try check(X509_set_version(certificate, 2) == 1, "version")  // 2 means X.509 v3
        var serial = [UInt8](repeating: 0, count: 16)
        try check(RAND_bytes(&serial, Int32(serial.count)) == 1, "random serial")
        serial[0] &= 0x7f  // keep the serial positive (RFC 5280 section 4.1.2.2)
        let serialNumber = BN_bin2bn(serial, Int32(serial.count), nil)
        defer { BN_free(serialNumber) }
        try check(BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate)) != nil, "serial")
        let start = time_t(notBefore.timeIntervalSince1970)
        try check(ASN1_TIME_set(X509_getm_notBefore(certificate), start) != nil, "notBefore")
        try check(ASN1_TIME_set(X509_getm_notAfter(certificate), start + time_t(validDays) * 86400) != nil, "notAfter")
        let name = X509_get_subject_name(certificate)
        try check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1, "common name")
        try check(X509_set_issuer_name(certificate, name) == 1, "issuer")
        try check(X509_set_pubkey(certificate, key) == 1, "public key")
        try check(cssl_add_self_signed_ext(certificate, NID_basic_constraints, "critical,CA:FALSE") == 1, "basicConstraints")
        try check(cssl_add_self_signed_ext(certificate, NID_key_usage, "critical,digitalSignature,keyEncipherment") == 1,
                  "keyUsage")
        try check(cssl_add_self_signed_ext(certificate, NID_ext_key_usage, "serverAuth") == 1, "extendedKeyUsage")
        try check(cssl_add_self_signed_ext(certificate, NID_subject_key_identifier, "hash") == 1, "subjectKeyIdentifier")
        if !subjectAltNames.isEmpty {
            try check(cssl_add_self_signed_ext(certificate, NID_subject_alt_name, subjectAltNames) == 1, "subjectAltName")
        }
        try addExtensions(certificate)
        try check(X509_sign(certificate, key, EVP_sha256()) > 0, "signature")
        built = true
        return certificate
    }

    /// "DNS:a.example,IP:127.0.0.1" for OpenSSL's config syntax.
    static func subjectAltNameValue(_ names: [String]) throws -> String {
        try names.map { name in
            let isIP = isIPAddress(name)
            // Commas separate entries in OpenSSL's syntax; colons only belong in IPv6 addresses.
            guard !name.isEmpty, !name.contains(where: { $0 == "," || $0.isWhitespace || (!isIP && $0 == ":") }) else {
                throw TLSError(kind: .invalidConfiguration, message: "unusable subjectAltName \"\(name)\"")
            }
            return isIP ? "IP:\(name)" : "DNS:\(name)"
        }.joined(separator: ",")
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }

    static func pem(_ what: String, _ write: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.fromOpenSSL(.openSSLFailure, "BIO_new failed") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw TLSError.fromOpenSSL(.openSSLFailure, "cannot encode the \(what) as PEM") }
        var bytes = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        let count = BIO_read(bio, &bytes, Int32(bytes.count))
        return Array(bytes.prefix(Int(max(count, 0))))
    }

    /// Writes and fsyncs `bytes`, creating the file with `mode` (and enforcing it on an existing file).
    private static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        func failure(_ what: String) -> TLSError {
            TLSError(kind: .fileUnreadable, file: path,
                     message: "cannot \(what) \(path): \(String(cString: strerror(errno)))")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create") }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw failure("set permissions of") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw failure("fsync") }
    }
}
