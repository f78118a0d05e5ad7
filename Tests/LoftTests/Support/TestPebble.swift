import Foundation
import TestSupport

/// Debian's `pebble` (the ACME test CA) on 127.0.0.1 for one test: its HTTPS certificate from a
/// `TestCertificateAuthority` (Loft trusts it through `[tls.acme] ca_file`), its validation ports pointed
/// at Loft's listeners, its DNS at a `TestDNSServer`. Validation really happens (`PEBBLE_VA_ALWAYS_VALID`
/// stays off); `PEBBLE_VA_NOSLEEP` only skips its random delays. `stop()` ends it by PID.
final class TestPebble: @unchecked Sendable {
    let directory: String
    let ca: TestCertificateAuthority
    let port: Int
    let managementPort: Int
    private var process: ChildProcess?
    private let arguments: [String]

    var directoryURL: String { "https://127.0.0.1:\(port)/dir" }
    var logPath: String { directory + "/pebble.log" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// - Parameters:
    ///   - httpPort, tlsPort: where pebble connects for http-01 and tls-alpn-01.
    ///   - validity: the lifetime of the certificates it issues, in seconds (pebble 2.4's
    ///     `certificateValidityPeriod`); nil for its default of five years.
    init(httpPort: Int, tlsPort: Int, dnsPort: Int, validity: Int? = nil) throws {
        ca = try TestCertificateAuthority(commonName: "Pebble HTTPS Test CA")
        directory = ca.directory
        let https = try ca.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        port = try FreePort.loopback()
        managementPort = try FreePort.loopback()
        var settings: [String: Any] = [
            "listenAddress": "127.0.0.1:\(port)", "managementListenAddress": "127.0.0.1:\(managementPort)",
            "certificate": https.certificatePath, "privateKey": https.privateKeyPath,
            "httpPort": httpPort, "tlsPort": tlsPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
        ]
        if let validity { settings["certificateValidityPeriod"] = validity }
        let configPath = directory + "/pebble.json"
        try JSONSerialization.data(withJSONObject: ["pebble": settings]).write(to: URL(fileURLWithPath: configPath))
        arguments = ["PEBBLE_VA_NOSLEEP=1", "/usr/bin/pebble", "-config", configPath, "-dnsserver", "127.0.0.1:\(dnsPort)"]
    }

    deinit {
        stop()
        ca.remove()
    }

    /// Starts pebble and waits until its directory answers. In full parallel test runs a pebble has been
    /// seen to log "Listening on" and then refuse connections for 20 s; such a start is ended and tried
    /// again (three times at most, each failure named in the error).
    func start() async throws {
        var failures: [String] = []
        for _ in 1...3 {
            process = try ChildProcess(executable: "/usr/bin/env", arguments: arguments, outputPath: logPath)
            let deadline = ContinuousClock.now + .seconds(15)
            while true {
                let probe = try await Subprocess.run("curl", ["-sS", "--cacert", ca.certificatePath, directoryURL], timeout: .seconds(5))
                if probe.status == 0 && probe.output.contains("newOrder") { return }
                guard process?.isRunning == true else {
                    failures.append("pebble ended (\(process?.ending ?? "?")) before it listened")
                    break
                }
                guard ContinuousClock.now < deadline else {
                    failures.append("pebble did not answer within 15 s: \(probe.errors)")
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            stop()
        }
        throw Failure(failures.joined(separator: "; ") + "\n" + log)
    }

    func stop() {
        process?.end()
        process = nil
    }

    /// Pebble's issuing root (a new one each run), from its management interface, written to a file.
    func rootCertificate() async throws -> String {
        let path = directory + "/pebble-root.pem"
        let result = try await Subprocess.run(
            "curl", ["-sS", "--fail", "--cacert", ca.certificatePath, "-o", path, "https://127.0.0.1:\(managementPort)/roots/0"])
        guard result.status == 0 else { throw Failure("cannot fetch pebble's root: \(result.errors)") }
        return path
    }
}
