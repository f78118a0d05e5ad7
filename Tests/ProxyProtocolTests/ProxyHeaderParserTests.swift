import NIOCore
import ProxyProtocol
import TestSupport
import Testing

/// The PROXY protocol header parser (HAProxy's "The PROXY protocol", v1 and v2): headers as HAProxy
/// sends them, fed whole and one byte at a time; every malformed variant refused; random input never
/// crashes it.
@Suite struct ProxyHeaderParserTests {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// A v2 header: signature, version 2 with `command`, `family`, the length of `body`, `body`.
    static func v2(command: UInt8 = 1, family: UInt8, _ body: [UInt8]) -> [UInt8] {
        signature + [0x20 | command, family, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    /// TCP over IPv4 from 192.0.2.7:51000 to 198.51.100.1:993, then `tlvs`.
    static func v2IPv4(tlvs: [UInt8] = []) -> [UInt8] {
        v2(family: 0x11, [192, 0, 2, 7, 198, 51, 100, 1, 0xC7, 0x38, 0x03, 0xE1] + tlvs)
    }

    static func address(_ ip: String, _ port: Int) -> SocketAddress {
        try! SocketAddress(ipAddress: ip, port: port)
    }

    /// Parses `bytes` whole; returns the header and what is left behind it.
    static func parse(_ bytes: [UInt8]) throws(ProxyHeaderError) -> (ProxyHeader?, [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        let header = try ProxyHeaderParser.parse(&buffer)
        return (header, Array(buffer.readableBytesView))
    }

    /// Feeds `bytes` one at a time as a handler receives them: nil until the last byte of the header.
    static func dripFeed(_ bytes: [UInt8]) throws(ProxyHeaderError) -> ProxyHeader? {
        var buffer = ByteBuffer()
        for (index, byte) in bytes.enumerated() {
            buffer.writeInteger(byte)
            if let header = try ProxyHeaderParser.parse(&buffer) {
                #expect(index == bytes.count - 1, "complete before its last byte")
                return header
            }
        }
        return nil
    }

    static let longestAddresses = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    static let longestLine = Array("PROXY UNKNOWN \(longestAddresses) 65535 65535\r\n".utf8)

    static let accepted: [(label: String, bytes: [UInt8], header: ProxyHeader)] = [
        ("v1 TCP4", Array("PROXY TCP4 192.0.2.7 198.51.100.1 51000 993\r\n".utf8),
         ProxyHeader(version: .v1, source: address("192.0.2.7", 51000), destination: address("198.51.100.1", 993))),
        ("v1 TCP6", Array("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n".utf8),
         ProxyHeader(version: .v1, source: address("2001:db8::7", 65535), destination: address("2001:db8::1", 0))),
        ("v1 UNKNOWN with addresses", Array("PROXY UNKNOWN 192.0.2.7 198.51.100.1 51000 993\r\n".utf8), ProxyHeader(version: .v1)),
        ("v1 UNKNOWN alone", Array("PROXY UNKNOWN\r\n".utf8), ProxyHeader(version: .v1)),
        ("v1 longest TCP6", Array("PROXY TCP6 \(longestAddresses) 65535 65535\r\n".utf8),
         ProxyHeader(version: .v1, source: address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
                     destination: address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535))),
        ("v1 longest line (UNKNOWN with TCP6's addresses, 107 bytes)", longestLine, ProxyHeader(version: .v1)),
        ("v2 TCP over IPv4", v2IPv4(),
         ProxyHeader(version: .v2, source: address("192.0.2.7", 51000), destination: address("198.51.100.1", 993))),
        ("v2 TCP over IPv6", v2(family: 0x21, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
                                  + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1] + [0x01, 0xBB, 0x00, 0x8F]),
         ProxyHeader(version: .v2, source: address("2001:db8::7", 443), destination: address("2001:db8::1", 143))),
        ("v2 with TLVs (ALPN, authority, CRC32C, an empty NOOP)",
         v2IPv4(tlvs: [0x01, 0x00, 0x02] + Array("h2".utf8) + [0x02, 0x00, 0x04] + Array("mail".utf8)
                + [0x03, 0x00, 0x04, 1, 2, 3, 4] + [0x04, 0x00, 0x00]),
         ProxyHeader(version: .v2, source: address("192.0.2.7", 51000), destination: address("198.51.100.1", 993))),
        ("v2 LOCAL (a health check): no address", v2(command: 0, family: 0x00, []), ProxyHeader(version: .v2)),
        ("v2 LOCAL ignores what its block holds", v2(command: 0, family: 0x11, [1, 2, 3]), ProxyHeader(version: .v2)),
        ("v2 PROXY over UNSPEC: the proxy's address stands", v2(family: 0x00, []), ProxyHeader(version: .v2)),
        ("v2 PROXY over a UNIX socket: the proxy's address stands", v2(family: 0x31, [UInt8](repeating: 0x2F, count: 216)),
         ProxyHeader(version: .v2)),
        ("v2 UDP over IPv4: no TCP client address", v2(family: 0x12, [UInt8](repeating: 1, count: 12)), ProxyHeader(version: .v2)),
    ]

    @Test("accepted headers, whole and drip-fed", arguments: accepted.indices)
    func acceptedHeader(_ index: Int) throws {
        let (_, bytes, expected) = Self.accepted[index]
        let (header, rest) = try Self.parse(bytes)
        #expect(header == expected)
        #expect(rest.isEmpty)
        #expect(try Self.dripFeed(bytes) == expected)
    }

    @Test("what follows the header is left in the buffer: the protocol's first bytes")
    func bytesAfterHeader() throws {
        let clientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00]
        let (v1, afterV1) = try Self.parse(Array("PROXY TCP4 192.0.2.7 198.51.100.1 51000 993\r\n".utf8) + Array("a1 CAPABILITY\r\n".utf8))
        #expect(v1?.source == Self.address("192.0.2.7", 51000))
        #expect(afterV1 == Array("a1 CAPABILITY\r\n".utf8))
        let (v2, afterV2) = try Self.parse(Self.v2IPv4() + clientHello)
        #expect(v2?.source == Self.address("192.0.2.7", 51000))
        #expect(afterV2 == clientHello)
    }

    @Test("an incomplete header asks for more and consumes nothing")
    func incomplete() throws {
        for bytes in [[], Array("PROX".utf8), Array("PROXY TCP4 192.0.2.7".utf8), Array(Self.signature.prefix(5)),
                      Array(Self.v2IPv4().dropLast())] {
            let (header, rest) = try Self.parse(bytes)
            #expect(header == nil)
            #expect(rest == bytes)
        }
    }

    static let refused: [(label: String, bytes: [UInt8], error: ProxyHeaderError)] = [
        ("an IMAP command", Array("a1 LOGIN alice secret\r\n".utf8), .notAProxyHeader),
        ("a TLS ClientHello", [0x16, 0x03, 0x01, 0x02, 0x00], .notAProxyHeader),
        ("lower-case proxy", Array("proxy TCP4 192.0.2.7 198.51.100.1 51000 993\r\n".utf8), .notAProxyHeader),
        ("v2 signature with one byte wrong", Array(signature.prefix(11)) + [0x0B, 0x21, 0x11, 0, 0], .notAProxyHeader),
        ("v1 without CRLF in 107 bytes", Array(("PROXY UNKNOWN " + String(repeating: "x", count: 100)).utf8), .lineTooLong),
        ("v1 line of 108 bytes", Array("PROXY UNKNOWN \(longestAddresses) 65535 655350\r\n".utf8), .lineTooLong),
        ("v1 bare LF", Array("PROXY TCP4 192.0.2.7 198.51.100.1 51000 993\n".utf8), .malformedLine("a bare LF instead of CRLF")),
        ("v1 unknown protocol", Array("PROXY UDP4 192.0.2.7 198.51.100.1 51000 993\r\n".utf8),
         .malformedLine("the protocol must be TCP4, TCP6 or UNKNOWN")),
        ("v1 nothing after PROXY", Array("PROXY \r\n".utf8), .malformedLine("the protocol must be TCP4, TCP6 or UNKNOWN")),
        ("v1 missing port", Array("PROXY TCP4 192.0.2.7 198.51.100.1 51000\r\n".utf8),
         .malformedLine("TCP4 needs two addresses and two ports separated by single spaces")),
        ("v1 double space", Array("PROXY TCP4 192.0.2.7  198.51.100.1 51000 993\r\n".utf8),
         .malformedLine("TCP4 needs two addresses and two ports separated by single spaces")),
        ("v1 IPv6 under TCP4", Array("PROXY TCP4 2001:db8::7 198.51.100.1 51000 993\r\n".utf8),
         .malformedLine("\"2001:db8::7\" is not an IPv4 address")),
        ("v1 IPv4 under TCP6", Array("PROXY TCP6 192.0.2.7 2001:db8::1 51000 993\r\n".utf8),
         .malformedLine("\"192.0.2.7\" is not an IPv6 address")),
        ("v1 host name", Array("PROXY TCP4 localhost 198.51.100.1 51000 993\r\n".utf8),
         .malformedLine("\"localhost\" is not an IPv4 address")),
        ("v1 port out of range", Array("PROXY TCP4 192.0.2.7 198.51.100.1 65536 993\r\n".utf8),
         .malformedLine("\"65536\" is not a port number")),
        ("v1 port with a leading zero", Array("PROXY TCP4 192.0.2.7 198.51.100.1 051000 993\r\n".utf8),
         .malformedLine("\"051000\" is not a port number")),
        ("v1 signed port", Array("PROXY TCP4 192.0.2.7 198.51.100.1 +5 993\r\n".utf8), .malformedLine("\"+5\" is not a port number")),
        ("v1 control byte", Array("PROXY UNKNOWN \u{0}\r\n".utf8), .malformedLine("a byte that is not printable ASCII")),
        ("v2 version 1", signature + [0x11, 0x11, 0, 12] + [UInt8](repeating: 0, count: 12), .unsupportedVersion(1)),
        ("v2 command 2", signature + [0x22, 0x11, 0, 12] + [UInt8](repeating: 0, count: 12), .unknownCommand(2)),
        ("v2 family 4", v2(family: 0x41, []), .unknownFamily(0x41)),
        ("v2 transport 3", v2(family: 0x13, [UInt8](repeating: 0, count: 12)), .unknownFamily(0x13)),
        ("v2 IPv4 with 11 address bytes", v2(family: 0x11, [UInt8](repeating: 0, count: 11)), .addressesTruncated(length: 11, needed: 12)),
        ("v2 IPv6 with IPv4's 12 bytes", v2(family: 0x21, [UInt8](repeating: 0, count: 12)), .addressesTruncated(length: 12, needed: 36)),
        ("v2 UNIX short", v2(family: 0x31, [UInt8](repeating: 0, count: 108)), .addressesTruncated(length: 108, needed: 216)),
        ("v2 TLV longer than the header", v2IPv4(tlvs: [0x01, 0x00, 0x05, 0x68, 0x32]), .malformedTLV),
        ("v2 TLV cut in its length", v2IPv4(tlvs: [0x01, 0x00]), .malformedTLV),
    ]

    @Test("refused input, whole and drip-fed", arguments: refused.indices)
    func refusedInput(_ index: Int) {
        let (_, bytes, expected) = Self.refused[index]
        #expect(throws: expected) { try Self.parse(bytes) }
        #expect(throws: expected) { try Self.dripFeed(bytes) }
    }

    @Test("the longest accepted v1 line is the specification's 107 bytes")
    func longestLineLength() {
        #expect(Self.longestLine.count == 107)
        #expect(ProxyHeaderParser.maximumLineLength == 107)
    }

    @Test("reasons read as a log line")
    func descriptions() {
        #expect(ProxyHeaderError.notAProxyHeader.description == "not a PROXY protocol header")
        #expect(ProxyHeaderError.lineTooLong.description == "PROXY v1 line without CRLF in its first 107 bytes")
        #expect(ProxyHeaderError.unknownFamily(0x41).description == "PROXY v2 header with unknown address family 0x41")
    }

    @Test("random bytes, random mutations of valid headers and random cuts never crash it", arguments: 0..<8)
    func randomInput(_ seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed))
        let valid = Self.accepted.map(\.bytes)
        for round in 0..<2000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:
                bytes = valid.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            default:
                bytes = Array(valid.randomElement(using: &random)!.prefix(Int.random(in: 0...120, using: &random)))
                bytes += (0..<Int.random(in: 0...20, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            var buffer = ByteBuffer(bytes: bytes)
            let before = buffer.readerIndex
            if let header = try? ProxyHeaderParser.parse(&buffer) {
                // A header consumed some bytes, never more than it was given.
                #expect(buffer.readerIndex > before)
                #expect((header.source == nil) == (header.destination == nil))
            } else {
                #expect(buffer.readerIndex == before)
            }
        }
    }
}
