import Foundation
internal import COpenSSL

/// What an admin or a log line needs to know about one certificate.
public struct TLSCertificateSummary: Sendable, Equatable {
    /// The subject as one line, RFC 2253 style, most specific first ("CN=mx.example,O=Example").
    public var subject: String
    /// The issuer, in the same form.
    public var issuer: String
    /// subjectAltName DNS names, in certificate order.
    public var dnsNames: [String]
    /// subjectAltName IP addresses ("127.0.0.1", "2001:db8::1"), in certificate order.
    public var ipAddresses: [String]
    public var notBefore: Date
    public var notAfter: Date
    /// SHA-256 of the DER certificate, lowercase hex (the TLSA "x 0 1" data).
    public var sha256Fingerprint: String
    /// SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex: the TLSA "3 1 1" data and
    /// Postfix's "pkey_fingerprint".
    public var publicKeySHA256: String
    /// The key type and size: "RSA 2048", "EC P-256", "Ed25519".
    public var publicKeyDescription: String

    public init(subject: String, issuer: String, dnsNames: [String], ipAddresses: [String], notBefore: Date,
                notAfter: Date, sha256Fingerprint: String, publicKeySHA256: String, publicKeyDescription: String) {
        self.subject = subject
        self.issuer = issuer
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.sha256Fingerprint = sha256Fingerprint
        self.publicKeySHA256 = publicKeySHA256
        self.publicKeyDescription = publicKeyDescription
    }

    /// Summaries of every certificate in a PEM file, in file order (for a chain file: the leaf
    /// first). Blocking (reads the file).
    /// - Throws: `TLSError` naming the file when it is missing, unreadable or holds no certificate.
    public static func load(pemFile path: String) throws -> [TLSCertificateSummary] {
        let certificates = try PEMFiles.certificates(at: path)
        defer { certificates.forEach { X509_free($0) } }
        return certificates.map { TLSCertificateSummary(certificate: $0) }
    }

    /// Summarises an `X509*` (borrowed, not freed).
    init(certificate: OpaquePointer) {
        let validity = PEMFiles.validity(of: certificate)
        let alternativeNames = Self.subjectAltNames(of: certificate)
        self.init(
            subject: Self.oneLine(X509_get_subject_name(certificate)),
            issuer: Self.oneLine(X509_get_issuer_name(certificate)),
            dnsNames: alternativeNames.dns,
            ipAddresses: alternativeNames.ip,
            notBefore: validity.notBefore ?? .distantPast,
            notAfter: validity.notAfter ?? .distantPast,
            sha256Fingerprint: Self.hex(SHA256Hasher.digest(Self.der(certificate, i2d_X509))),
            publicKeySHA256: Self.hex(SHA256Hasher.digest(Self.der(X509_get_X509_PUBKEY(certificate), i2d_X509_PUBKEY))),
            publicKeyDescription: Self.keyDescription(X509_get0_pubkey(certificate)))
    }

    // MARK: Pieces

    /// `X509_NAME_print_ex` with RFC 2253 flags, UTF-8 kept readable.
    private static func oneLine(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, cssl_name_print_flags()) >= 0 else {
            ERR_clear_error()
            return ""
        }
        var bytes = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        let count = BIO_read(bio, &bytes, Int32(bytes.count))
        return String(decoding: bytes.prefix(Int(max(count, 0))), as: UTF8.self)
    }

    private static func subjectAltNames(of certificate: OpaquePointer) -> (dns: [String], ip: [String]) {
        var dns: [String] = [], ip: [String] = []
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else {
            ERR_clear_error()
            return (dns, ip)
        }
        let names = OpaquePointer(raw)  // STACK_OF(GENERAL_NAME)
        defer { GENERAL_NAMES_free(names) }
        for index in 0..<OPENSSL_sk_num(names) {
            guard let entry = OPENSSL_sk_value(names, index)?.assumingMemoryBound(to: GENERAL_NAME.self) else { continue }
            switch entry.pointee.type {
            case GEN_DNS:
                if let text = entry.pointee.d.dNSName { dns.append(String(decoding: bytes(of: text), as: UTF8.self)) }
            case GEN_IPADD:
                if let octets = entry.pointee.d.iPAddress, let text = ipText(bytes(of: octets)) { ip.append(text) }
            default:
                continue
            }
        }
        return (dns, ip)
    }

    private static func bytes(of string: UnsafeMutablePointer<ASN1_STRING>) -> [UInt8] {
        guard let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    private static func ipText(_ octets: [UInt8]) -> String? {
        let family: Int32
        switch octets.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, octets, &text, socklen_t(text.count)) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The DER encoding of an OpenSSL object through its `i2d_*` function (two passes: length,
    /// then bytes).
    private static func der(
        _ object: OpaquePointer?, _ encode: (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) -> [UInt8] {
        let length = encode(object, nil)
        guard length > 0 else {
            ERR_clear_error()
            return []
        }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encode(object, &cursor)
        }
        return written == length ? bytes : []
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func keyDescription(_ key: OpaquePointer?) -> String {
        guard let key else { return "unknown" }
        let bits = EVP_PKEY_get_bits(key)
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA: return "RSA \(bits)"
        case EVP_PKEY_RSA_PSS: return "RSA-PSS \(bits)"
        case EVP_PKEY_ED25519: return "Ed25519"
        case EVP_PKEY_ED448: return "Ed448"
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
                ERR_clear_error()
                return "EC \(bits)"
            }
            // "prime256v1" -> "P-256" where the curve has a NIST name.
            if let nist = EC_curve_nid2nist(OBJ_txt2nid(name)) { return "EC \(String(cString: nist))" }
            return "EC \(String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))"
        default:
            let type = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            return "\(type) \(bits)"
        }
    }
}
