internal import COpenSSL

/// PKCS #10 certificate signing requests (RFC 2986) for ACME's finalize (RFC 8555 §7.4).
public enum CertificateSigningRequest {
    /// The DER CSR for `names` (subjectAltName dNSNames, the first also as the subject CN), signed by `key`.
    /// - Throws: `TLSError` for an unusable name or an OpenSSL failure.
    public static func der(names: [String], key: JWSSigningKey) throws -> [UInt8] {
        guard let first = names.first else {
            throw TLSError(kind: .invalidConfiguration, message: "a certificate request needs at least one name")
        }
        let subjectAltNames = try SelfSignedCertificate.subjectAltNameValue(names)
        ERR_clear_error()
        guard let request = X509_REQ_new() else { throw TLSError.fromOpenSSL(.openSSLFailure, "X509_REQ_new failed") }
        defer { X509_REQ_free(request) }
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw TLSError.fromOpenSSL(.openSSLFailure, "cannot create the certificate request: \(what)") }
        }
        try check(X509_REQ_set_version(request, 0) == 1, "version")  // 0 means PKCS #10 v1
        let subject = X509_REQ_get_subject_name(request)
        try check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, first, -1, -1, 0) == 1, "common name")
        try check(X509_REQ_set_pubkey(request, key.key) == 1, "public key")
        try check(cssl_REQ_add_subject_alt_name(request, subjectAltNames) == 1, "subjectAltName")
        try check(X509_REQ_sign(request, key.key, EVP_sha256()) > 0, "signature")
        let der = TLSCertificateSummary.der(request, i2d_X509_REQ)
        try check(!der.isEmpty, "DER encoding")
        return der
    }
}
