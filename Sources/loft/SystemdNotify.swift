#if canImport(Glibc)
import Glibc
#endif

/// The service manager's readiness protocol (sd_notify(3)) without libsystemd: one datagram of
/// `KEY=value` lines to the socket named in `$NOTIFY_SOCKET` (a path, or `@name` in the abstract
/// namespace). Nothing happens when the variable is unset: loft was not started by systemd with
/// `Type=notify`.
enum SystemdNotify {
    /// Every listener is bound: systemd starts what waits for loft, and `systemctl start` returns.
    static func ready(listeners: Int) {
        send("READY=1\nSTATUS=Serving \(listeners) listeners")
    }

    /// A SIGHUP reload begins (`Type=notify-reload` needs the monotonic time of the request).
    static func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send("RELOADING=1\nMONOTONIC_USEC=\(UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000)")
    }

    static func reloaded() { send("READY=1") }

    static func stopping() { send("STOPPING=1") }

    private static func send(_ state: String) {
        guard let variable = getenv("NOTIFY_SOCKET") else { return }
        var path = Array(String(cString: variable).utf8)
        guard let first = path.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@") else { return }
        if first == UInt8(ascii: "@") { path[0] = 0 }  // the abstract namespace starts with NUL
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length) }
            }
        }
    }
}
