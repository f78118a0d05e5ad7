#if canImport(Glibc)
import Glibc
#endif
import Config
import Foundation
import NIOCore

/// Why a listener could not bind, in one line an admin can act on: which protocol and address, what is
/// in the way (the process holding the port, when `/proc` says), and what to do.
enum ListenFailure {
    static func message(_ listener: ListenerConfiguration, _ error: any Error, demo: Bool) -> String {
        let name = "\(listener.protocol.rawValue) listener \(listener.address)"
        guard let code = (error as? IOError)?.errnoCode else { return "\(name): cannot listen: \(error)" }
        let port = listener.address.port
        switch code {
        case EADDRINUSE:
            let holder = PortOwner.find(port: port).map { "\($0.name) (pid \($0.pid))" } ?? "another program"
            let fix = demo
                ? "stop it first (is the demo already running?), or run loft with --config and other ports"
                : "stop it, or give this listener another port in the config"
            return "\(name): port \(port) is already in use by \(holder); \(fix)"
        case EACCES where port < 1024 && geteuid() != 0:
            return "\(name): only root may listen on ports below 1024; start loft as root with user = \"...\" "
                + "in the config (it switches to that user after binding), or use a port above 1023"
        case EACCES:
            return "\(name): not allowed to listen on port \(port) (refused by the system; a firewall or security policy?)"
        case EADDRNOTAVAIL:
            return "\(name): \(listener.address.host) is not an address of this machine; "
                + "use one of its addresses, or 0.0.0.0 or [::] for all of them"
        default:
            return "\(name): cannot listen: \(String(cString: strerror(code)))"
        }
    }
}

/// The process listening on a TCP port, found through `/proc` (Linux): the socket's inode in
/// `/proc/net/tcp` or `tcp6`, then the process with a descriptor linking to `socket:[inode]`.
/// Only processes we may inspect are found (all of them as root).
enum PortOwner {
    /// The kernel lists `/proc/net/tcp` in pages, resuming each `read` at an offset; sockets opened or
    /// closed between two reads shift the rest, so an entry can be skipped. Hence one large read per
    /// pass, and a few passes before giving up.
    static func find(port: Int) -> (name: String, pid: Int32)? {
        for _ in 0..<3 {
            if let owner = findOnce(port: port) { return owner }
        }
        return nil
    }

    private static func findOnce(port: Int) -> (name: String, pid: Int32)? {
        let inodes = Set(["/proc/net/tcp", "/proc/net/tcp6"].flatMap { listeningInodes(in: $0, port: port) })
        guard !inodes.isEmpty,
              let processes = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let targets = Set(inodes.map { "socket:[\($0)]" })
        for entry in processes {
            guard let pid = Int32(entry), pid != getpid(),
                  let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd") else { continue }
            for descriptor in descriptors {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(descriptor)"),
                      targets.contains(target) else { continue }
                let comm = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                return (comm.flatMap { $0.isEmpty ? nil : $0 } ?? "a process", pid)
            }
        }
        return nil
    }

    /// Inodes of sockets in state LISTEN (0A) on `port` in a `/proc/net/tcp`-format file.
    static func listeningInodes(in file: String, port: Int) -> [String] {
        guard let text = readWhole(file) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[3] == "0A",
                  let portText = fields[1].split(separator: ":").last, Int(portText, radix: 16) == port else { return nil }
            return String(fields[9])
        }
    }

    /// The file's text, read with a buffer large enough that a `/proc` listing comes in one `read`.
    private static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
        }
    }
}
