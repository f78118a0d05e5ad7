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

    /// A first-run problem, naming the demo directory and what to do.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func prepare(directory: String) throws -> Prepared {
        do {
            return try prepareFiles(directory: directory)
        } catch {
            throw failure(error, directory: directory)
        }
    }

    /// `error` in words: where the demo wanted to write, why it could not, and what to do.
    public static func failure(_ error: any Error, directory: String) -> Failure {
        let reason: String
        if error is PasswdFileError || error is TLSError || error is Failure {
            reason = "\(error)"
        } else {
            // Foundation's file errors: the system's reason when it is there.
            let nsError = error as NSError
            let posix = [nsError, nsError.userInfo[NSUnderlyingErrorKey] as? NSError].compactMap { $0 }
                .first { $0.domain == NSPOSIXErrorDomain }
            reason = posix.map { String(cString: strerror(Int32($0.code))) }
                ?? error.localizedDescription.trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        return Failure(description: "the demo cannot set up \(directory): \(reason); "
            + "run loft in a directory you may write to, or pass --config FILE")
    }

    private static func prepareFiles(directory: String) throws -> Prepared {
        let configuration = LoftConfiguration.demo(directory: directory)
        let fileManager = FileManager.default
        try makeDirectory(directory)

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

        let newPassword = try preparePasswdFile(configuration)
        return Prepared(configuration: configuration, newPassword: newPassword)
    }

    /// Creates the demo's directory and passwd-file, with the demo user, unless the file exists; returns
    /// the demo user's password when it was created (show it once). Shared by `loft serve` and `loft user add`
    /// without a config file, so whichever runs first makes the file the other then uses, and a file that
    /// exists (with the users added to it) is never touched.
    public static func preparePasswdFile(_ configuration: LoftConfiguration) throws -> String? {
        let fileManager = FileManager.default
        try makeDirectory(configuration.dataDirectory)
        let passwdPath = configuration.auth.passwdFile
        guard !fileManager.fileExists(atPath: passwdPath) else { return nil }
        let password = randomPassword()
        var file = try PasswdFile.load(path: passwdPath, defaultDomain: configuration.domain)
        try file.add(name: userName, hash: try PasswordHash.make(password: password))
        try file.write(to: passwdPath)
        return password
    }

    /// `mkdir -p` (mode 0700 for what it creates), failing with the system's reason.
    private static func makeDirectory(_ path: String) throws {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST {
                throw Failure(description: "cannot create \(partial): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The line that shows a new demo user's password, once.
    public static func passwordNotice(_ password: String, passwdFile: String) -> String {
        "Demo user created: \(userName)  password: \(password)\n(shown once; it is stored hashed in \(passwdFile))\n"
    }

    /// 20 characters from an unambiguous alphabet: about 110 bits.
    private static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
