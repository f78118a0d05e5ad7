import Foundation
import TLS

/// A scratch directory under the temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tls-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The output of an external peer program.
struct PeerResult {
    let status: Int32
    /// stdout followed by stderr.
    let output: String
}

enum Peers {
    /// Runs a program with `input` on stdin. After `timeout` seconds it is killed and `PeerError` thrown,
    /// so a test never hangs and never passes on a peer that did not finish.
    static func run(_ executable: String, _ arguments: [String], input: String = "",
                    in scratch: ScratchDirectory, timeout: Double = 15) async throws -> PeerResult {
        let id = UUID().uuidString
        let inputPath = scratch.file("\(id).in"), outPath = scratch.file("\(id).out"), errPath = scratch.file("\(id).err")
        try Data(input.utf8).write(to: URL(fileURLWithPath: inputPath))
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        if timedOut {
            // A peer that never finished proves nothing: fail rather than check a partial output.
            throw PeerError(text: "\(executable) \(arguments.first ?? "") did not finish within \(timeout) s; output: \(out + err)")
        }
        return PeerResult(status: process.terminationStatus, output: out + err)
    }

    /// `openssl s_client` to the server; sends `lines` after the handshake and waits for the
    /// server to close (the last line should be QUIT).
    static func sClient(port: Int, _ flags: [String], lines: [String] = ["INFO", "QUIT"],
                        in scratch: ScratchDirectory) async throws -> PeerResult {
        try await run("/usr/bin/openssl",
                      ["s_client", "-connect", "127.0.0.1:\(port)", "-ign_eof", "-nocommands"] + flags,
                      input: lines.map { $0 + "\r\n" }.joined(), in: scratch)
    }

    /// Runs a Python 3 script with the server port as argv[1].
    static func python(_ script: String, port: Int, in scratch: ScratchDirectory) async throws -> PeerResult {
        try await run("/usr/bin/python3", ["-c", script, String(port)], in: scratch)
    }

    /// A self-signed certificate made by the `openssl` CLI. `key` is "rsa" or "ec".
    static func opensslCertificate(commonName: String, key: String = "rsa", days: Int = 30,
                                   in scratch: ScratchDirectory) async throws -> TLSCertificateFiles {
        let files = TLSCertificateFiles(certificatePath: scratch.file("\(commonName)-\(key).crt"),
                                        privateKeyPath: scratch.file("\(commonName)-\(key).key"))
        let keyArguments = key == "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        let result = try await run("/usr/bin/openssl",
                                   ["req", "-x509", "-nodes"] + keyArguments + [
                                       "-keyout", files.privateKeyPath, "-out", files.certificatePath,
                                       "-days", String(days), "-subj", "/CN=\(commonName)",
                                       "-addext", "subjectAltName=DNS:\(commonName)",
                                   ], in: scratch)
        guard result.status == 0 else { throw PeerError(text: "openssl req failed: \(result.output)") }
        return files
    }
}

struct PeerError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}

/// Python client pieces: an unverified TLS context and a line reader.
let pythonPrelude = """
import socket, ssl, sys
port = int(sys.argv[1])
def context():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c
def readline(s):
    data = b""
    while not data.endswith(b"\\r\\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()

"""
