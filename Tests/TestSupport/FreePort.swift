import Glibc

/// A port on 127.0.0.1 that nothing uses, for a server a test configures with a fixed port (nsd, a
/// test MX, HAProxy, PostgreSQL, a config `loft doctor` reads). It is picked at random *below* Linux's
/// ephemeral range (32768–60999), and checked by binding it. So the kernel never hands the same port to
/// the `port = 0` binds the other parallel tests make (Loft's listeners, client sockets) in the moment
/// between this check and the server's own bind, as it could when the port came from binding port 0.
public enum FreePort {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let range = 20_000...32_767

    /// A port free for TCP (and for UDP too with `udp`) at the time of asking.
    public static func loopback(udp: Bool = false) throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: range)
            if bindable(port, type: SOCK_STREAM), !udp || bindable(port, type: SOCK_DGRAM) { return port }
        }
        throw Failure(description: "no free port on 127.0.0.1 in \(range)")
    }

    /// Whether a socket of `type` can bind 127.0.0.1:`port` now (it is closed again at once).
    public static func bindable(_ port: Int, type: __socket_type = SOCK_STREAM) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
