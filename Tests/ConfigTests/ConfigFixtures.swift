import Foundation

/// Building blocks for configuration texts used across the Config tests.
enum ConfigFixtures {
    /// The smallest file `LoftConfiguration.parse` accepts: required keys only, one plaintext listener.
    static let minimal = """
        hostname = "mail.example.org"
        data_dir = "/var/lib/loft"

        [auth]
        passwd_file = "/etc/loft/passwd"

        [[listener]]
        protocol = "pop3"
        address = "127.0.0.1:110"
        tls = "none"

        """

    /// A `[tls]` section with absolute paths.
    static let tlsSection = """

        [tls]
        certificate = "/etc/loft/tls/fullchain.pem"
        private_key = "/etc/loft/tls/privkey.pem"

        """

    /// The repository's sample configuration, `etc/loft.toml`, found from this source file's location.
    static let samplePath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ConfigTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("etc/loft.toml").path

    /// A fresh directory under the temporary directory; the caller removes it.
    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("loft-config-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` to `url`; `Data.write` fsyncs the file before returning.
    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }
}
