/// An address from an A or AAAA record.
public enum IPAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// In host byte order: 192.0.2.1 is 0xC000_0201.
    case v4(UInt32)
    /// The 16 bytes in network order.
    case v6([UInt8])

    /// Dotted quad, or the RFC 5952 text form of an IPv6 address.
    public var description: String {
        switch self {
        case .v4(let value):
            return Self.dottedQuad(value)
        case .v6(let bytes):
            return Self.rfc5952Text(bytes)
        }
    }

    private static func dottedQuad(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    /// RFC 5952 §4: lowercase hex without leading zeros; the longest run of two or more zero
    /// groups (the first of equal runs) becomes "::"; a single zero group stays "0".
    /// §5: an IPv4-mapped address (::ffff:0:0/96) ends in a dotted quad.
    private static func rfc5952Text(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else {
            // Not an IPv6 address; show the bytes rather than invent one.
            return "invalid-ipv6(" + bytes.map { String($0, radix: 16) }.joined(separator: ":") + ")"
        }
        var groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var tail = ""
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            tail = dottedQuad(UInt32(groups[6]) << 16 | UInt32(groups[7]))
            groups.removeLast(2)
        }

        var bestStart = -1
        var bestLength = 1  // a run must be longer than this to be compressed
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < groups.count && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }

        var parts = groups.map { String($0, radix: 16) }
        if !tail.isEmpty { parts.append(tail) }
        guard bestStart >= 0 else { return parts.joined(separator: ":") }
        let head = parts[..<bestStart].joined(separator: ":")
        let rest = parts[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + rest
    }
}
