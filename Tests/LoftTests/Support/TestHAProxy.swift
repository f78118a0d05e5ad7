import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

/// Debian's `haproxy` as a child process in TCP mode on 127.0.0.1: each frontend relays to a Loft
/// port with a PROXY header (`send-proxy` for v1, `send-proxy-v2` for v2). Foreground (`-db`),
/// its own generated config, stopped by PID.
final class TestHAProxy: @unchecked Sendable {
    struct Frontend {
        var name: String
        /// The Loft ports the frontend relays to, taken in turn (`balance roundrobin`).
        var loftPorts: [Int]
        /// The `server` line's options, e.g. "send-proxy" or "send-proxy-v2 proxy-v2-options crc32c".
        var serverOptions: String
    }

    let directory: URL
    let process: ChildProcess
    /// Frontend name → the port clients connect to.
    let ports: [String: Int]

    static let executable = "/usr/sbin/haproxy"

    init(_ frontends: [Frontend]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw Failure("\(Self.executable) is missing: apt-get install haproxy (.ci/run installs it)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-haproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [String: Int] = [:]
        var config = """
            global
                maxconn 200
            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s

            """
        for frontend in frontends {
            let port = try Self.freePort()
            ports[frontend.name] = port
            config += """
                frontend \(frontend.name)
                    bind 127.0.0.1:\(port)
                    default_backend \(frontend.name)
                backend \(frontend.name)
                    balance roundrobin

                """
            for (index, loftPort) in frontend.loftPorts.enumerated() {
                config += "    server loft\(index) 127.0.0.1:\(loftPort) \(frontend.serverOptions)\n"
            }
            config += "\n"
        }
        self.ports = ports
        let configPath = directory.appendingPathComponent("haproxy.cfg").path
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        process = try ChildProcess(
            executable: Self.executable, arguments: ["-db", "-f", configPath], outputPath: directory.appendingPathComponent("haproxy.log").path)
        let deadline = ContinuousClock.now + .seconds(20)
        while !ports.values.allSatisfy(Self.isListening) {
            guard process.isRunning else { throw Failure("haproxy exited: \(log)") }
            guard ContinuousClock.now < deadline else { throw Failure("haproxy did not bind its ports: \(log)") }
            usleep(20_000)
        }
    }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("haproxy.log"), encoding: .utf8)) ?? "" }

    func port(_ frontend: String) -> Int { ports[frontend] ?? -1 }

    func stop() {
        process.end()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether something listens on 127.0.0.1:`port`, found by failing to bind it (a probe
    /// connection would reach Loft through the proxy).
    private static func isListening(_ port: Int) -> Bool {
        !FreePort.bindable(port)
    }

    static func freePort() throws -> Int {
        try FreePort.loopback()
    }
}
