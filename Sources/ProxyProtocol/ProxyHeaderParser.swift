import NIOCore

/// Parses the PROXY protocol header at the start of a connection (HAProxy, "The PROXY protocol",
/// versions 1 and 2). Pure: bytes in; a header, "need more bytes" or an error out.
public enum ProxyHeaderParser {
    /// The longest v1 line, CRLF included ("PROXY TCP6" with two full IPv6 addresses and ports; spec §2.1).
    public static let maximumLineLength = 107
    /// The v2 signature (spec §2.2); it can never start a v1 line, nor any IMAP, POP3 or SMTP input.
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let linePrefix = Array("PROXY ".utf8)
    /// Signature, version/command, family, 16-bit length.
    static let fixedV2Length = 16

    /// Reads one header from the front of `buffer` and moves its reader index past it; nil when the
    /// bytes so far are a valid beginning but the header is not complete (`buffer` is left as it is).
    public static func parse(_ buffer: inout ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        let bytes = buffer.readableBytesView
        if bytes.starts(with: signature.prefix(bytes.count)) {
            return try parseV2(&buffer)
        }
        if bytes.starts(with: linePrefix.prefix(bytes.count)) {
            return try parseV1(&buffer)
        }
        throw .notAProxyHeader
    }

    // MARK: - Version 1 (spec §2.1)

    // "PROXY" SP ( "TCP4" | "TCP6" ) SP src SP dst SP sport SP dport CRLF
    // "PROXY" SP "UNKNOWN" *( anything but CRLF ) CRLF
    private static func parseV1(_ buffer: inout ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        let bytes = buffer.readableBytesView
        guard let newline = bytes.prefix(maximumLineLength).firstIndex(of: UInt8(ascii: "\n")) else {
            if bytes.count >= maximumLineLength { throw .lineTooLong }
            return nil
        }
        let lineEnd = newline - bytes.startIndex
        guard lineEnd > 0, bytes[newline - 1] == UInt8(ascii: "\r") else {
            throw .malformedLine("a bare LF instead of CRLF")
        }
        let line = bytes[bytes.startIndex..<(newline - 1)]
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw .malformedLine("a byte that is not printable ASCII") }
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let header: ProxyHeader
        switch fields.count > 1 ? fields[1] : "" {
        case "UNKNOWN":
            // The receiver ignores whatever follows and uses the connection's own addresses.
            header = ProxyHeader(version: .v1)
        case let family where family == "TCP4" || family == "TCP6":
            guard fields.count == 6 else {
                throw .malformedLine("\(family) needs two addresses and two ports separated by single spaces")
            }
            let source = try v1Address(fields[2], port: fields[4], family: family)
            let destination = try v1Address(fields[3], port: fields[5], family: family)
            header = ProxyHeader(version: .v1, source: source, destination: destination)
        default:
            throw .malformedLine("the protocol must be TCP4, TCP6 or UNKNOWN")
        }
        buffer.moveReaderIndex(forwardBy: lineEnd + 1)
        return header
    }

    private static func v1Address(_ address: String, port: String, family: String) throws(ProxyHeaderError) -> SocketAddress {
        // Ports are decimal 0...65535; addresses are literals of the family named (TCP4: dotted quad).
        guard (1...5).contains(port.utf8.count), port.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              !(port.utf8.count > 1 && port.hasPrefix("0")), let number = Int(port), number <= 65535
        else { throw .malformedLine("\"\(port)\" is not a port number") }
        let parsed = try? SocketAddress(ipAddress: address, port: number)
        switch (family, parsed) {
        case ("TCP4", .v4(_)?), ("TCP6", .v6(_)?): return parsed!
        default: throw .malformedLine("\"\(address)\" is not an \(family == "TCP4" ? "IPv4" : "IPv6") address")
        }
    }

    // MARK: - Version 2 (spec §2.2)

    private enum Command: UInt8 {
        case local = 0
        case proxy = 1
    }

    private static func parseV2(_ buffer: inout ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        guard buffer.readableBytes >= fixedV2Length,
              let versionAndCommand = buffer.getInteger(at: buffer.readerIndex + 12, as: UInt8.self),
              let familyAndTransport = buffer.getInteger(at: buffer.readerIndex + 13, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 14, as: UInt16.self)
        else { return nil }
        guard versionAndCommand >> 4 == 2 else { throw .unsupportedVersion(versionAndCommand >> 4) }
        guard let command = Command(rawValue: versionAndCommand & 0x0F) else { throw .unknownCommand(versionAndCommand & 0x0F) }
        // High nibble: UNSPEC 0, INET 1, INET6 2, UNIX 3; low nibble: UNSPEC 0, STREAM 1, DGRAM 2.
        // Any other value "must be rejected as invalid by receivers".
        let family = familyAndTransport >> 4
        guard family <= 3, familyAndTransport & 0x0F <= 2 else { throw .unknownFamily(familyAndTransport) }
        guard buffer.readableBytes >= fixedV2Length + Int(length) else { return nil }

        var block = buffer.getSlice(at: buffer.readerIndex + fixedV2Length, length: Int(length))!
        let header = try v2Header(command: command, familyAndTransport: familyAndTransport, block: &block)
        buffer.moveReaderIndex(forwardBy: fixedV2Length + Int(length))
        return header
    }

    /// The header a complete v2 address block (addresses, then TLVs) describes.
    private static func v2Header(command: Command, familyAndTransport: UInt8, block: inout ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader {
        // LOCAL: a connection the proxy made itself (a health check); the block is discarded unread.
        guard command == .proxy else { return ProxyHeader(version: .v2) }
        let family = familyAndTransport >> 4
        let addressLength = [0, 12, 36, 216][Int(family)]
        guard block.readableBytes >= addressLength else {
            throw .addressesTruncated(length: block.readableBytes, needed: addressLength)
        }
        var addresses = block.readSlice(length: addressLength)!
        try skipTLVs(block)
        // Only TCP over IPv4 or IPv6 names a client address; UNIX sockets, datagrams and UNSPEC keep
        // the connection's own (spec §2.2: the receiver uses the real connection endpoints).
        guard familyAndTransport == 0x11 || familyAndTransport == 0x21 else { return ProxyHeader(version: .v2) }
        let size = family == 1 ? 4 : 16
        let sourceIP = addresses.readSlice(length: size)!
        let destinationIP = addresses.readSlice(length: size)!
        let sourcePort = addresses.readInteger(as: UInt16.self)!
        let destinationPort = addresses.readInteger(as: UInt16.self)!
        return ProxyHeader(
            version: .v2,
            source: try? SocketAddress(packedIPAddress: sourceIP, port: Int(sourcePort)),
            destination: try? SocketAddress(packedIPAddress: destinationIP, port: Int(destinationPort)))
    }

    /// Walks the type-length-value records after the addresses (spec §2.2.7), none of which Loft
    /// needs, checking that each stays inside the header.
    private static func skipTLVs(_ block: ByteBuffer) throws(ProxyHeaderError) {
        var rest = block
        while rest.readableBytes > 0 {
            guard rest.readableBytes >= 3, let length = rest.getInteger(at: rest.readerIndex + 1, as: UInt16.self),
                  rest.readableBytes >= 3 + Int(length)
            else { throw .malformedTLV }
            rest.moveReaderIndex(forwardBy: 3 + Int(length))
        }
    }
}
