#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An IP address or a network in CIDR notation (`10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`), as
/// `proxy_trusted` lists them. A bare address is a network of that one address.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, host bits zero.
    private let network: [UInt8]
    /// 0...32 (IPv4) or 0...128 (IPv6).
    public let prefixLength: Int

    /// Why a text is not an address or network; `reason` is shown to the admin.
    struct Invalid: Error {
        let reason: String
    }

    init(parsing text: String) throws(Invalid) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(of: String(parts[0])) else {
            throw Invalid(reason: #"is not an IP address or network like "10.0.0.5", "10.0.0.0/8" or "fd00::/8""#)
        }
        let bits = address.count * 8
        var prefixLength = bits
        if parts.count == 2 {
            guard parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  let length = Int(parts[1]), length <= bits
            else { throw Invalid(reason: "the prefix length after \"/\" must be a number from 0 to \(bits)") }
            prefixLength = length
        }
        let network = Self.masked(address, prefixLength: prefixLength)
        guard network == address else {
            let canonical = IPNetwork(network: network, prefixLength: prefixLength)
            throw Invalid(reason: "has bits set after the first \(prefixLength) (did you mean \"\(canonical)\"?)")
        }
        self.init(network: network, prefixLength: prefixLength)
    }

    private init(network: [UInt8], prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    /// Whether the address written as `ipAddress` (an IPv4 or IPv6 literal) is in this network.
    /// An address of the other family never is.
    public func contains(ipAddress: String) -> Bool {
        guard let address = Self.bytes(of: ipAddress), address.count == network.count else { return false }
        return Self.masked(address, prefixLength: prefixLength) == network
    }

    /// `10.0.0.0/8`; a single address without its `/32` or `/128`.
    public var description: String {
        let family = network.count == 4 ? AF_INET : AF_INET6
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = output.withUnsafeMutableBufferPointer { inet_ntop(family, network, $0.baseAddress, socklen_t($0.count)) }
        let address = output.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return prefixLength == network.count * 8 ? address : "\(address)/\(prefixLength)"
    }

    /// The binary form of an IPv4 (4 bytes) or IPv6 (16 bytes) literal, or nil.
    private static func bytes(of text: String) -> [UInt8]? {
        var binary = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &binary) == 1 { return Array(binary.prefix(4)) }
        if inet_pton(AF_INET6, text, &binary) == 1 { return binary }
        return nil
    }

    private static func masked(_ address: [UInt8], prefixLength: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let kept = min(8, max(0, prefixLength - index * 8))
            return kept == 8 ? byte : byte & ~(0xFF >> kept)
        }
    }
}
