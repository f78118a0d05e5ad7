import Foundation

/// A private certificate authority for tests, made with the real `openssl` CLI in a temporary
/// directory of its own: a CA certificate and key, leaf certificates it issues for given DNS names
/// and IP addresses (valid, expired, not yet valid), and self-signed leaves. It reports what a TLSA
/// record needs: SHA-256 of a certificate (TLSA "2 0 1" for the CA) and of a SubjectPublicKeyInfo
/// (TLSA "3 1 1" for a leaf).
///
/// Blocking (runs `openssl`); each call uses files of its own, so one authority may issue from
/// several tests at once. Call `remove()` when done.
public final class TestCertificateAuthority: Sendable {
    public enum KeyType: Sendable {
        case rsa2048
        case ecP256
    }

    /// A certificate with its key and digests.
    public struct Certificate: Sendable {
        /// PEM file with this certificate alone.
        public let certificatePath: String
        /// PEM file with its unencrypted private key (PKCS#8).
        public let privateKeyPath: String
        /// PEM file with this certificate followed by its issuer's (the CA's; for a
        /// self-signed certificate, itself alone): what a server sends so that DANE-TA(2) of the
        /// CA can match (RFC 7672 section 3.1.2).
        public let chainPath: String
        /// SHA-256 of the DER certificate (TLSA selector 0, matching type 1).
        public let certificateSHA256: [UInt8]
        /// SHA-256 of the DER SubjectPublicKeyInfo (TLSA selector 1, matching type 1).
        public let publicKeySHA256: [UInt8]

        public var certificateSHA256Hex: String { TestCertificateAuthority.hex(certificateSHA256) }
        public var publicKeySHA256Hex: String { TestCertificateAuthority.hex(publicKeySHA256) }
    }

    /// The authority's directory; everything it writes goes in here.
    public let directory: String
    /// The CA itself (`chainPath` is its certificate alone).
    public let authority: Certificate
    public var certificatePath: String { authority.certificatePath }
    public var certificateSHA256: [UInt8] { authority.certificateSHA256 }

    /// Creates the CA (valid from now for ten years).
    /// - Throws: `TestCertificateAuthority.Failure` with openssl's output when a command fails.
    public init(commonName: String = "Loft Test CA", keyType: KeyType = .ecP256) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("loft-test-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        let certificatePath = directory + "/ca.crt", privateKeyPath = directory + "/ca.key"
        do {
            try Self.openssl(["req", "-x509", "-new", "-nodes"] + Self.newKeyArguments(keyType) + [
                "-keyout", privateKeyPath, "-out", certificatePath, "-days", "3650",
                "-subj", "/CN=\(commonName)/O=Loft tests",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ], in: directory)
            authority = try Self.describe(certificatePath: certificatePath, privateKeyPath: privateKeyPath,
                                          chainPath: certificatePath, in: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Issues a server certificate signed by this CA.
    /// - Parameters:
    ///   - commonName: the subject CN; by default the first DNS name (or IP address).
    ///   - dnsNames, ipAddresses: the subjectAltName entries.
    ///   - notBefore, notAfter: the validity (default: from an hour ago for 30 days).
    public func issue(commonName: String? = nil, dnsNames: [String] = [], ipAddresses: [String] = [],
                      keyType: KeyType = .ecP256, notBefore: Date? = nil, notAfter: Date? = nil) throws -> Certificate {
        try make(commonName: commonName, dnsNames: dnsNames, ipAddresses: ipAddresses, keyType: keyType,
                 notBefore: notBefore, notAfter: notAfter, selfSigned: false)
    }

    /// Issues a certificate that expired a day ago (valid for 30 days before that).
    public func issueExpired(commonName: String? = nil, dnsNames: [String] = [], ipAddresses: [String] = [],
                             keyType: KeyType = .ecP256) throws -> Certificate {
        let now = Date()
        return try issue(commonName: commonName, dnsNames: dnsNames, ipAddresses: ipAddresses, keyType: keyType,
                         notBefore: now.addingTimeInterval(-31 * 86400), notAfter: now.addingTimeInterval(-86400))
    }

    /// A self-signed server certificate (not issued by this CA; the CA only lends its directory).
    public func selfSigned(commonName: String? = nil, dnsNames: [String] = [], ipAddresses: [String] = [],
                           keyType: KeyType = .ecP256, notBefore: Date? = nil, notAfter: Date? = nil) throws -> Certificate {
        try make(commonName: commonName, dnsNames: dnsNames, ipAddresses: ipAddresses, keyType: keyType,
                 notBefore: notBefore, notAfter: notAfter, selfSigned: true)
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Making certificates

    private func make(commonName: String?, dnsNames: [String], ipAddresses: [String], keyType: KeyType,
                      notBefore: Date?, notAfter: Date?, selfSigned: Bool) throws -> Certificate {
        guard let name = commonName ?? dnsNames.first ?? ipAddresses.first else {
            throw Failure(text: "a certificate needs a common name, a DNS name or an IP address")
        }
        // Every certificate gets a directory and a one-entry `openssl ca` database of its own,
        // so concurrent tests never share a file.
        let work = directory + "/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)
        let keyPath = work + "/key.pem", requestPath = work + "/request.pem", certificatePath = work + "/cert.pem"
        try Self.openssl(["req", "-new", "-nodes"] + Self.newKeyArguments(keyType) + [
            "-keyout", keyPath, "-out", requestPath, "-subj", "/CN=\(name)",
        ], in: work)
        let configPath = work + "/ca.cnf", extensionsPath = work + "/extensions.cnf"
        try Data("".utf8).write(to: URL(fileURLWithPath: work + "/index.txt"))
        // A random positive 64-bit serial, so no two test certificates share one.
        var serial = String(UInt64.random(in: 1...UInt64(Int64.max)), radix: 16)
        if serial.count % 2 == 1 { serial = "0" + serial }  // openssl reads whole bytes
        try Data((serial + "\n").utf8).write(to: URL(fileURLWithPath: work + "/serial"))
        try Data("""
            [ca]
            default_ca = test_ca
            [test_ca]
            database = \(work)/index.txt
            new_certs_dir = \(work)
            serial = \(work)/serial
            default_md = sha256
            policy = any_subject
            unique_subject = no
            copy_extensions = none
            [any_subject]
            commonName = supplied

            """.utf8).write(to: URL(fileURLWithPath: configPath))
        let alternativeNames = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        var extensions = [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature" + (keyType == .rsa2048 ? ",keyEncipherment" : ""),
            "extendedKeyUsage=serverAuth",
            "subjectKeyIdentifier=hash",
        ]
        if !selfSigned { extensions.append("authorityKeyIdentifier=keyid") }
        if !alternativeNames.isEmpty { extensions.append("subjectAltName=" + alternativeNames.joined(separator: ",")) }
        try Data((extensions.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: extensionsPath))

        let now = Date()
        let signer = selfSigned ? ["-selfsign", "-keyfile", keyPath]
                                : ["-cert", authority.certificatePath, "-keyfile", authority.privateKeyPath]
        try Self.openssl(["ca", "-batch", "-notext", "-config", configPath] + signer + [
            "-in", requestPath, "-out", certificatePath, "-extfile", extensionsPath,
            "-startdate", Self.generalizedTime(notBefore ?? now.addingTimeInterval(-3600)),
            "-enddate", Self.generalizedTime(notAfter ?? now.addingTimeInterval(30 * 86400)),
        ], in: work)
        var chainPath = certificatePath
        if !selfSigned {
            chainPath = work + "/chain.pem"
            let chain = try Data(contentsOf: URL(fileURLWithPath: certificatePath))
                + Data(contentsOf: URL(fileURLWithPath: authority.certificatePath))
            try chain.write(to: URL(fileURLWithPath: chainPath))
        }
        return try Self.describe(certificatePath: certificatePath, privateKeyPath: keyPath, chainPath: chainPath, in: work)
    }

    /// Digests of a certificate and of its public key, computed by `openssl`.
    private static func describe(certificatePath: String, privateKeyPath: String, chainPath: String,
                                 in directory: String) throws -> Certificate {
        let certificateDER = directory + "/cert.der", publicKeyPEM = directory + "/pubkey.pem"
        let publicKeyDER = directory + "/pubkey.der"
        try openssl(["x509", "-in", certificatePath, "-outform", "DER", "-out", certificateDER], in: directory)
        try openssl(["x509", "-in", certificatePath, "-noout", "-pubkey", "-out", publicKeyPEM], in: directory)
        try openssl(["pkey", "-pubin", "-in", publicKeyPEM, "-outform", "DER", "-out", publicKeyDER], in: directory)
        return Certificate(certificatePath: certificatePath, privateKeyPath: privateKeyPath, chainPath: chainPath,
                           certificateSHA256: try sha256(of: certificateDER, in: directory),
                           publicKeySHA256: try sha256(of: publicKeyDER, in: directory))
    }

    private static func sha256(of path: String, in directory: String) throws -> [UInt8] {
        // "openssl dgst -r" prints "<hex> *<path>".
        let output = try openssl(["dgst", "-sha256", "-r", path], in: directory)
        let hexDigits = Array(output.prefix { $0 != " " }.utf8)
        guard hexDigits.count == 64 else { throw Failure(text: "unexpected openssl dgst output: \(output)") }
        return stride(from: 0, to: 64, by: 2).map { UInt8(String(decoding: hexDigits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    private static func newKeyArguments(_ keyType: KeyType) -> [String] {
        switch keyType {
        case .rsa2048: return ["-newkey", "rsa:2048"]
        case .ecP256: return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        }
    }

    /// "YYYYMMDDHHMMSSZ" in UTC, as `openssl ca -startdate/-enddate` takes it.
    private static func generalizedTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year!)" + two(parts.month) + two(parts.day) + two(parts.hour) + two(parts.minute)
            + two(parts.second) + "Z"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Runs `/usr/bin/openssl` with stdin from /dev/null and its output in files beside the
    /// certificate (a pipe could fill up); returns stdout, throws with stderr on failure.
    @discardableResult
    private static func openssl(_ arguments: [String], in directory: String) throws -> String {
        let id = UUID().uuidString
        let outputPath = directory + "/openssl-\(id).out", errorPath = directory + "/openssl-\(id).err"
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw Failure(text: "openssl \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(errors)")
        }
        return output
    }

    /// A failed `openssl` command or an unusable request.
    public struct Failure: Error, CustomStringConvertible {
        public let text: String
        public var description: String { text }
    }
}
