import Foundation
import NIOCore

/// A host's addresses through the system resolver (getaddrinfo: /etc/hosts, then DNS), as mail
/// clients find a server. Blocking: run it on a thread pool.
enum HostAddresses {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Every address of `host` (or the literal itself), in the resolver's order, without duplicates.
    static func resolve(_ host: String, port: Int) throws -> [SocketAddress] {
        if isLiteral(host) { return [try SocketAddress(ipAddress: host, port: port)] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0 else { throw Failure(description: String(cString: gai_strerror(code))) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var seen: Set<String> = []
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ai_next }
            guard let socketAddress = current.pointee.ai_addr else { continue }
            let text: String?
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET:
                text = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin_addr
                    return ntop(AF_INET, &address)
                }
            case AF_INET6:
                text = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    return ntop(AF_INET6, &address)
                }
            default:
                text = nil
            }
            if let text, seen.insert(text).inserted {
                addresses.append(try SocketAddress(ipAddress: text, port: port))
            }
        }
        guard !addresses.isEmpty else { throw Failure(description: "no address") }
        return addresses
    }

    static func isLiteral(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }

    /// "192.0.2.1:587", "[2001:db8::1]:587".
    static func text(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "\(address)"
        let port = address.port.map(String.init) ?? "?"
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    private static func ntop(_ family: Int32, _ address: UnsafeRawPointer) -> String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, address, &text, socklen_t(text.count)) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
