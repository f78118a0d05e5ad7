import Foundation
import POSIXSupport
public import TLS

/// A file operation of the ACME store failed.
public enum ACMEFileError: SystemCallErrorRepresentable, CustomStringConvertible, Equatable, Sendable {
    case system(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .system(let operation, let path, let code): "cannot \(operation) \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// The ACME files under `<data_dir>/acme` (a 0700 directory): `account.key` and `certificate.pem`, the
/// chain followed by its key in one 0600 file, so that replacing it is one atomic, durable rename.
/// Every method blocks (file I/O, key generation): call them on a thread pool.
public struct ACMECertificateStore: Sendable {
    public let directory: String
    public let accountKeyPath: String
    public let certificatePath: String

    public init(directory: String, accountKeyPath: String, certificatePath: String) {
        self.directory = directory
        self.accountKeyPath = accountKeyPath
        self.certificatePath = certificatePath
    }

    /// Creates the directory (0700) if needed.
    public func prepare() throws {
        if try POSIXFile<ACMEFileError>.fileStatus(directory) == nil {
            try POSIXFile<ACMEFileError>.makeDirectory(directory, mode: 0o700)
        }
    }

    /// The account key, made and stored (0600) on first use.
    public func accountKey(type: JWSSigningKey.KeyType) throws -> JWSSigningKey {
        if try POSIXFile<ACMEFileError>.fileStatus(accountKeyPath) != nil {
            return try JWSSigningKey.load(pemFile: accountKeyPath)
        }
        let key = try JWSSigningKey.generate(type)
        try POSIXFile<ACMEFileError>.replaceDurably(accountKeyPath, with: try key.privateKeyPEM(), directory: directory)
        return key
    }

    /// The leaf of the stored certificate, or nil when there is none or it cannot be read.
    public func currentLeaf() -> TLSCertificateSummary? {
        (try? TLSCertificateSummary.load(pemFile: certificatePath))?.first
    }

    /// Replaces the stored certificate with `issued`.
    public func install(_ issued: ACMEIssuedCertificate) throws {
        var bytes = issued.chainPEM
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes += issued.privateKeyPEM
        try POSIXFile<ACMEFileError>.replaceDurably(certificatePath, with: bytes, directory: directory)
    }

    /// Stores a temporary self-signed certificate for `names`, valid one day, so the listeners can start
    /// before the first issuance.
    public func installPlaceholder(names: [String]) throws {
        let certificate = directory + "/placeholder.crt.tmp", key = directory + "/placeholder.key.tmp"
        defer {
            _ = try? POSIXFile<ACMEFileError>.unlink(certificate)
            _ = try? POSIXFile<ACMEFileError>.unlink(key)
        }
        try SelfSignedCertificate.generate(commonName: names.first ?? "localhost", subjectAltNames: names, validDays: 1,
                                           certificatePath: certificate, privateKeyPath: key)
        let chain = try POSIXFile<ACMEFileError>.readFile(certificate).bytes
        let privateKey = try POSIXFile<ACMEFileError>.readFile(key).bytes
        try install(ACMEIssuedCertificate(chainPEM: chain, privateKeyPEM: privateKey))
    }
}
