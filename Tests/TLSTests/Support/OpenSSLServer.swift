import Foundation

/// An `openssl s_server` on 127.0.0.1 (port chosen by the kernel) in `-rev` mode: it answers each
/// line with the line reversed. Started per test; `stop()` ends it by its PID.
final class OpenSSLServer {
    let port: Int
    private let process: Process
    private let outputPath: String

    private init(process: Process, port: Int, outputPath: String) {
        self.process = process
        self.port = port
        self.outputPath = outputPath
    }

    /// Runs `body` against a server started with `arguments` (certificate, key, versions, SNI
    /// options) and stops the server afterwards, also when `body` throws.
    static func with<T>(_ arguments: [String], in scratch: ScratchDirectory,
                        _ body: (OpenSSLServer) async throws -> T) async throws -> T {
        let server = try await start(arguments, in: scratch)
        do {
            let result = try await body(server)
            server.stop()
            return result
        } catch {
            server.stop()
            throw error
        }
    }

    /// What the server printed so far (stdout and stderr), e.g. `Hostname in TLS extension: "mx.example"`.
    var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// Everything the server printed, once it has exited by itself (with `-naccept 1`, after its
    /// one connection): s_server buffers some lines until it exits.
    func outputAfterExit(timeout: Double = 10) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else { throw PeerError(text: "s_server did not exit within \(timeout) s: \(output)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return output
    }

    /// Kills the server by its PID. SIGKILL, because a child spawned from a test thread inherits
    /// that thread's blocked signals, SIGTERM among them.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func start(_ arguments: [String], in scratch: ScratchDirectory) async throws -> OpenSSLServer {
        let outputPath = scratch.file("s_server-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:0", "-rev"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
        let deadline = Date().addingTimeInterval(10)
        while true {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT 127.0.0.1:") }),
               let port = Int(line.dropFirst("ACCEPT 127.0.0.1:".count)) {
                return OpenSSLServer(process: process, port: port, outputPath: outputPath)
            }
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw PeerError(text: "openssl s_server \(arguments) did not start: \(text)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
