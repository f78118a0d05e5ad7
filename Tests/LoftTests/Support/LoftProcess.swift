import Auth
import Foundation
import MailStore

/// A real `loft serve` process on 127.0.0.1 with its own data directory, certificate
/// (made by the `openssl` CLI) and passwd-file; listeners on port 0, read back from its log.
final class LoftProcess: @unchecked Sendable {
    struct Listener: Hashable {
        var `protocol`: String
        var tls: String
    }

    let directory: URL
    let configPath: String
    let passwdPath: String
    let logPath: String
    private(set) var process: Process?
    private(set) var ports: [Listener: Int] = [:]

    static let password = "correct horse battery staple"

    /// The `loft` executable SwiftPM built beside the test bundle.
    static var executable: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDirectory.appendingPathComponent("loft").path,
            bundleDirectory.deletingLastPathComponent().appendingPathComponent("loft").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug/loft").standardized.path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Makes the directory, a certificate, a passwd-file with `alice` and the config.
    /// `extraConfig` is appended to the TOML; `listeners` are (protocol, tls) pairs.
    init(
        listeners: [(String, String)] = [("pop3", "starttls"), ("pop3", "implicit")],
        failureDelay: String = "2s",
        extraConfig: String = ""
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("loft.toml").path
        passwdPath = directory.appendingPathComponent("passwd").path
        logPath = directory.appendingPathComponent("loft.log").path

        try Data("alice:\(try PasswordHash.make(password: Self.password))\n".utf8).write(to: URL(fileURLWithPath: passwdPath))
        var toml = """
        hostname = "mail.example.org"
        domain = "example.org"
        data_dir = "\(directory.path)/data"

        [tls]
        certificate = "\(directory.path)/cert.pem"
        private_key = "\(directory.path)/key.pem"

        [auth]
        passwd_file = "\(passwdPath)"
        failure_delay = "\(failureDelay)"

        """
        for (proto, tls) in listeners {
            toml += "\n[[listener]]\nprotocol = \"\(proto)\"\naddress = \"127.0.0.1:0\"\ntls = \"\(tls)\"\n"
        }
        toml += extraConfig
        try Data(toml.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// Writes a fresh self-signed certificate for `commonName` (openssl CLI).
    func makeCertificate(commonName: String = "mail.example.org", keyType: String = "ec") async throws {
        let key = keyType == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["-newkey", "rsa:2048"]
        let result = try await Subprocess.run("openssl", ["req", "-x509"] + key + [
            "-nodes", "-days", "30", "-subj", "/CN=\(commonName)",
            "-addext", "subjectAltName=DNS:\(commonName),IP:127.0.0.1",
            "-keyout", certificateKeyPath, "-out", certificatePath,
        ])
        guard result.status == 0 else { throw Failure("openssl req failed: \(result.errors)") }
    }

    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var certificateKeyPath: String { directory.appendingPathComponent("key.pem").path }

    /// Starts `loft serve` (with `environment` added to the test's) and waits until every listener reports its port.
    func start(expectedListeners: Int = 2, environment: [String: String] = [:], arguments: [String] = []) async throws {
        if !FileManager.default.fileExists(atPath: certificatePath) { try await makeCertificate() }
        try Data().write(to: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--config", configPath] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ports.count < expectedListeners {
            guard process.isRunning else { throw Failure("loft exited (\(process.terminationStatus)): \(log)") }
            guard ContinuousClock.now < deadline else { throw Failure("loft did not report its listeners: \(log)") }
            try await Task.sleep(for: .milliseconds(50))
            ports = Self.parseListeners(log)
        }
    }

    /// `... listener=pop3 127.0.0.1:40123 tls=starttls ... listening`, or with `--log-format json`
    /// `{..."message":"listening",..."listener":"pop3 127.0.0.1:40123 tls=starttls"...}`.
    static func parseListeners(_ log: String) -> [Listener: Int] {
        var found: [Listener: Int] = [:]
        for line in log.split(separator: "\n") where line.hasSuffix("listening") || line.contains(#""message":"listening""#) {
            let line = line.replacingOccurrences(of: #""listener":""#, with: "listener=")
            guard let range = line.range(of: #"listener=(\w+) [^ ]+:(\d+) tls=(\w+)"#, options: .regularExpression) else { continue }
            let parts = line[range].split(separator: " ")
            let proto = String(parts[0].dropFirst("listener=".count))
            let port = Int(parts[1].split(separator: ":").last!)!
            let tls = String(parts[2].dropFirst("tls=".count))
            found[Listener(protocol: proto, tls: tls)] = port
        }
        return found
    }

    func port(_ tls: String, protocol proto: String = "pop3") -> Int {
        ports[Listener(protocol: proto, tls: tls)] ?? -1
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until at least `count` log lines end with `suffix` (e.g. " disconnected": a session ended).
    /// - Throws: `Failure` after `timeout`, so the checks that follow never run on a guess.
    func waitForLog(suffix: String, count: Int, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while log.split(separator: "\n").filter({ $0.hasSuffix(suffix) }).count < count {
            guard ContinuousClock.now < deadline else { throw Failure("no \(count) log lines ending \"\(suffix)\": \(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func signal(_ signal: Int32) {
        if let process, process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGTERM, then wait for the exit; returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        guard let process else { return 0 }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        self.process = nil
        ports = [:]
        return process.terminationStatus
    }

    /// For `defer`: stops the server (SIGTERM, then waits) and removes its directory.
    func cleanUpNow() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        process = nil
        try? FileManager.default.removeItem(at: directory)
    }

    /// alice's INBOX, as Loft lays it out.
    var aliceMaildir: String { "\(directory.path)/data/mail/example.org/alice/Maildir" }

    /// Delivers a message into alice's INBOX the durable Maildir way.
    func deliverToAlice(_ message: [UInt8]) throws {
        _ = try Maildir.open(path: aliceMaildir, create: true).deliver(message)
    }

    /// Files currently in alice's cur/ and new/.
    func aliceMessageFiles() -> [String] {
        ["cur", "new"].flatMap { sub in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(aliceMaildir)/\(sub)")) ?? []).map { "\(sub)/\($0)" }
        }.sorted()
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
