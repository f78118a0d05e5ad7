/// Pure parsers for the rdata libunbound hands back: wire format, names already decompressed.
/// Every read is bounds-checked; malformed rdata gives nil and the record is skipped.
enum RDataParser {
    /// RFC 1035 §3.4.1: A RDATA is a 32-bit address.
    static func ipv4(_ rdata: [UInt8]) -> IPAddress? {
        guard rdata.count == 4 else { return nil }
        return .v4(rdata.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// RFC 3596 §2.2: AAAA RDATA is a 128-bit address.
    static func ipv6(_ rdata: [UInt8]) -> IPAddress? {
        guard rdata.count == 16 else { return nil }
        return .v6(rdata)
    }

    /// RFC 1035 §3.3.9: PREFERENCE (16 bits) then EXCHANGE (a domain name), nothing after it.
    static func mx(_ rdata: [UInt8]) -> MXRecord? {
        guard rdata.count >= 3 else { return nil }
        let preference = UInt16(rdata[0]) << 8 | UInt16(rdata[1])
        guard let (host, end) = domainName(in: rdata, at: 2), end == rdata.count else { return nil }
        return MXRecord(preference: preference, host: host)
    }

    /// RFC 2782: PRIORITY, WEIGHT, PORT (16 bits each), then TARGET (a domain name), nothing after it.
    static func srv(_ rdata: [UInt8]) -> SRVRecord? {
        guard rdata.count >= 7 else { return nil }
        func field(_ offset: Int) -> UInt16 { UInt16(rdata[offset]) << 8 | UInt16(rdata[offset + 1]) }
        guard let (target, end) = domainName(in: rdata, at: 6), end == rdata.count else { return nil }
        return SRVRecord(priority: field(0), weight: field(2), port: field(4), target: target)
    }

    /// RFC 6698 §2.1: usage, selector, matching type (one byte each), then the association data.
    static func tlsa(_ rdata: [UInt8]) -> TLSARecord? {
        guard rdata.count >= 3 else { return nil }
        return TLSARecord(usage: rdata[0], selector: rdata[1], matchingType: rdata[2], data: Array(rdata[3...]))
    }

    /// RFC 1035 §3.3.14: one or more <character-string>s, each a length byte and that many bytes.
    /// Joined without separators, as RFC 7208 §3.3 reads SPF records.
    static func txt(_ rdata: [UInt8]) -> String? {
        guard !rdata.isEmpty else { return nil }
        var text: [UInt8] = []
        var index = 0
        while index < rdata.count {
            let length = Int(rdata[index])
            let start = index + 1
            guard start + length <= rdata.count else { return nil }
            text += rdata[start..<start + length]
            index = start + length
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// An uncompressed wire-format name (RFC 1035 §3.1) starting at `offset`: its text form,
    /// lowercased, without the trailing dot ("" for the root), and the offset just past it.
    /// Bytes that are not letters, digits, '-' or '_' are escaped as in a zone file (\. and \DDD),
    /// so no label can smuggle a dot. Compression pointers are refused: libunbound expands them.
    static func domainName(in bytes: [UInt8], at offset: Int) -> (name: String, end: Int)? {
        var labels: [String] = []
        var index = offset
        var wireLength = 0
        while true {
            guard index < bytes.count else { return nil }
            let length = Int(bytes[index])
            wireLength += length + 1
            // RFC 1035 §2.3.4: labels of 63 octets or less, names of 255 octets or less.
            guard length <= 63, wireLength <= 255 else { return nil }
            index += 1
            if length == 0 { break }
            guard index + length <= bytes.count else { return nil }
            labels.append(labelText(bytes[index..<index + length]))
            index += length
        }
        return (labels.joined(separator: "."), index)
    }

    private static func labelText(_ label: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in label {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                text.unicodeScalars.append(Unicode.Scalar(byte + 0x20))
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"):
                text.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "."), UInt8(ascii: "\\"):
                text += "\\" + String(Unicode.Scalar(byte))
            default:
                let digits = String(byte)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }
}
