import Foundation

/// Runs a real third-party client (python3, openssl, curl, mkpasswd) and collects its output.
struct Subprocess {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var output: String { String(decoding: stdout, as: UTF8.self) }
        var errors: String { String(decoding: stderr, as: UTF8.self) }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var command: String
        var description: String { "timed out: \(command)" }
    }

    /// Runs `executable` with `arguments`, feeding `input` on stdin; kills it after `timeout`.
    static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(),
        environment: [String: String]? = nil, currentDirectory: URL? = nil, timeout: Duration = .seconds(30)
    ) async throws -> Result {
        let process = Process()
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-sub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inURL = directory.appendingPathComponent("in"), outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        try input.write(to: inURL)
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        process.standardInput = try FileHandle(forReadingFrom: inURL)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                // SIGKILL: children of the test runner inherit an ignored SIGTERM.
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw TimedOut(command: ([executable] + arguments).joined(separator: " "))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Result(status: process.terminationStatus, stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL))
    }

    /// Runs a Python 3 script given as text; `arguments` become `sys.argv[1:]`.
    static func python(_ script: String, _ arguments: [String] = [], input: Data = Data(), timeout: Duration = .seconds(30)) async throws -> Result {
        try await run("python3", ["-c", script] + arguments, input: input, timeout: timeout)
    }
}
