#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An IP address and port to listen on. `host` is an IPv4 or IPv6 literal in canonical form
/// (IPv6 without brackets); port 0 means "any free port".
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 literal such as `0.0.0.0`, or an IPv6 literal without brackets such as `::1`.
    public var host: String
    /// 0...65535; 0 asks the kernel for any free port.
    public var port: Int

    /// An address from its parts; no checks (a loaded configuration has only valid, canonical ones).
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:1110`, or `[::1]:110` for IPv6.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Why a text is not a listen address; `reason` is shown to the admin.
    struct Invalid: Error {
        let reason: String
    }

    /// Parses `host:port` where host is an IPv4 literal, or `[host]:port` where host is an IPv6 literal.
    init(parsing text: String) throws(Invalid) {
        let example = #"like "0.0.0.0:110" or "[::]:110""#
        let hostText: Substring
        let portText: Substring
        let family: Int32
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw Invalid(reason: #"missing "]" after the IPv6 address"#)
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw Invalid(reason: "missing the port after the address, \(example)")
            }
            portText = rest.dropFirst()
            family = AF_INET6
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw Invalid(reason: "expected an address and a port, \(example)")
            }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            if hostText.contains(":") {
                throw Invalid(reason: #"an IPv6 address must be in brackets, like "[::1]:110""#)
            }
            family = AF_INET
        }
        guard let host = Self.canonical(String(hostText), family: family) else {
            let kind = family == AF_INET6 ? "an IPv6 address" : "an IP address"
            throw Invalid(reason: "\"\(hostText)\" is not \(kind); listen on an IP address, \(example)")
        }
        guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), port <= 65535
        else {
            throw Invalid(reason: "the port must be a number from 0 to 65535, got \"\(portText)\"")
        }
        self.init(host: host, port: port)
    }

    /// The canonical text of an IP literal (so `[::0]` and `[::]` compare equal), or nil if it is none.
    private static func canonical(_ text: String, family: Int32) -> String? {
        var binary = [UInt8](repeating: 0, count: 16)
        guard inet_pton(family, text, &binary) == 1 else { return nil }
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = output.withUnsafeMutableBufferPointer { buffer in
            inet_ntop(family, binary, buffer.baseAddress, socklen_t(buffer.count))
        }
        guard written != nil else { return nil }
        return output.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
