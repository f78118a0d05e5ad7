import Auth
import Config
import Foundation
import TLS

/// `loft serve` without a config file: everything a first run needs, made once under one
/// directory (`./loft-data`) and reused after that.
public enum DemoEnvironment {
    public static let userName = "demo"

    public struct Prepared: Sendable {
        public var configuration: LoftConfiguration
        /// Set only on the run that created the demo user: its password, shown once.
        public var newPassword: String?
    }

    public static func prepare(directory: String) throws -> Prepared {
        let configuration = LoftConfiguration.demo(directory: directory)
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        if let tls = configuration.tls, !fileManager.fileExists(atPath: tls.certificate) || !fileManager.fileExists(atPath: tls.privateKey) {
            try fileManager.createDirectory(atPath: (tls.certificate as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try SelfSignedCertificate.generate(
                commonName: configuration.hostname,
                subjectAltNames: [configuration.hostname, "127.0.0.1", "::1"],
                validDays: 825,
                certificatePath: tls.certificate,
                privateKeyPath: tls.privateKey
            )
        }

        var newPassword: String?
        let passwdPath = configuration.auth.passwdFile
        if !fileManager.fileExists(atPath: passwdPath) {
            let password = randomPassword()
            var file = try PasswdFile.load(path: passwdPath, defaultDomain: configuration.domain)
            try file.add(name: userName, hash: try PasswordHash.make(password: password))
            try file.write(to: passwdPath)
            newPassword = password
        }
        return Prepared(configuration: configuration, newPassword: newPassword)
    }

    /// 20 characters from an unambiguous alphabet: about 110 bits.
    private static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
