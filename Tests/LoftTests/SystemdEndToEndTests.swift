import Foundation
import Testing

/// Running Loft under systemd: the readiness protocol on `$NOTIFY_SOCKET`, `--check-config` for
/// `ExecStartPre`, and the shipped unit file.
@Suite(.serialized) struct SystemdEndToEndTests {
    @Test("READY=1 once every listener accepts connections, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM")
    func readiness() async throws {
        let server = try LoftProcess(listeners: [("imap", "implicit"), ("pop3", "starttls")])
        defer { server.cleanUpNow() }
        let socket = try NotifySocket(path: server.directory.appendingPathComponent("notify").path)
        defer { socket.close() }
        try await server.start(environment: ["NOTIFY_SOCKET": socket.path])
        let ready = try await socket.receive()
        #expect(ready == "READY=1\nSTATUS=Serving 2 listeners", "\(ready)")
        // Ready means bound: both ports accept a connection now.
        for port in [server.imapImplicitPort, server.port("starttls")] {
            let probe = try await Subprocess.python("import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5).close()", ["\(port)"])
            #expect(probe.status == 0, "port \(port): \(probe.errors)")
        }
        server.signal(SIGHUP)
        let reloading = try await socket.receive()
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="), "\(reloading)")
        #expect(UInt64(reloading.split(separator: "=").last ?? "") != nil)
        #expect(try await socket.receive() == "READY=1")
        await server.stop()
        #expect(try await socket.receive() == "STOPPING=1")
    }

    @Test("--check-config: a good config says OK and starts nothing; a broken one names the file and the key, exit 1")
    func checkConfig() async throws {
        let server = try LoftProcess(listeners: [("imap", "implicit"), ("pop3", "starttls")])
        defer { server.cleanUpNow() }
        try await server.makeCertificate()
        let good = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", server.configPath, "--check-config"])
        #expect(good.status == 0, "\(good.errors)")
        #expect(good.output.hasPrefix("\(server.configPath): OK, 2 listeners\n"), "\(good.output)")
        #expect(good.output.contains("  imap 127.0.0.1:0 tls=implicit\n"), "\(good.output)")
        #expect(!FileManager.default.fileExists(atPath: server.directory.appendingPathComponent("data").path),
                "nothing was started: no data_dir was made")

        try FileManager.default.removeItem(atPath: server.certificateKeyPath)
        let noKey = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", server.configPath, "--check-config"])
        #expect(noKey.status == 1 && noKey.errors.contains("tls:") && noKey.errors.contains(server.certificateKeyPath),
                "\(noKey.status) \(noKey.errors)")

        try Data("hostname = 42\n".utf8).write(to: URL(fileURLWithPath: server.configPath))
        let broken = try await Subprocess.run(LoftProcess.executable, ["serve", "--config", server.configPath, "--check-config"])
        #expect(broken.status == 1 && broken.errors.contains("loft.toml") && broken.errors.contains("hostname"),
                "\(broken.status) \(broken.errors)")
    }

    @Test("etc/loft.service passes systemd-analyze verify without a warning")
    func unitFile() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let unit = try String(contentsOf: repository.appendingPathComponent("etc/loft.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(unit.contains("--check-config") && unit.contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE"))
        // verify insists that ExecStart= exists: point it at the loft this test runs.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("loft.service").path
        try Data(unit.replacingOccurrences(of: "/usr/local/bin/loft", with: LoftProcess.executable).utf8)
            .write(to: URL(fileURLWithPath: path))
        let verify = try await Subprocess.run("systemd-analyze", ["verify", path])
        #expect(verify.status == 0 && verify.errors.isEmpty, "\(verify.status) \(verify.errors)")
    }
}

/// The test's end of `$NOTIFY_SOCKET`: a datagram socket bound to a path, read off the cooperative pool.
private final class NotifySocket: @unchecked Sendable {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw Failure("bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or a failure after 20 s.
    func receive() async throws -> String {
        let descriptor = self.descriptor
        let received: [UInt8]? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                continuation.resume(returning: count >= 0 ? Array(buffer[..<count]) : nil)
            }
        }
        guard let received else { throw Failure("no notification within 20 s") }
        return String(decoding: received, as: UTF8.self)
    }

    func close() {
        _ = Glibc.close(descriptor)
        unlink(path)
    }
}
