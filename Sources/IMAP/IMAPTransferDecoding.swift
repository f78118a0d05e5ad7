/// Content decoding for SEARCH: RFC 2045 §6.7 quoted-printable, §6.8 base64, and a few charsets to UTF-8.
/// Lenient throughout: bytes that do not decode are kept (quoted-printable) or skipped (base64).
enum IMAPTransferDecoding {
    /// RFC 2045 §6.7: `=XX` is a byte, `=` at the end of a line is a soft line break. With
    /// `underscoreIsSpace`, RFC 2047 §4.2's Q encoding (`_` is a space).
    static func quotedPrintable(_ input: some Collection<UInt8>, underscoreIsSpace: Bool = false) -> [UInt8] {
        let bytes = Array(input)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "=") {
                if i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                    out.append(hi << 4 | lo)
                    i += 3
                    continue
                }
                // Soft line break: `=`, optional trailing whitespace, then CRLF or LF.
                var j = i + 1
                while j < bytes.count, bytes[j] == IMAPByte.space || bytes[j] == IMAPByte.tab { j += 1 }
                if j < bytes.count, bytes[j] == IMAPByte.cr { j += 1 }
                if j < bytes.count, bytes[j] == IMAPByte.lf {
                    i = j + 1
                    continue
                }
                if j == bytes.count {
                    i = j
                    continue
                }
            }
            out.append(underscoreIsSpace && b == UInt8(ascii: "_") ? IMAPByte.space : b)
            i += 1
        }
        return out
    }

    /// RFC 2045 §6.8: four characters give three bytes; characters outside the alphabet are skipped, and
    /// `=` or the end of the data ends it (missing padding is accepted).
    static func base64(_ input: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in input {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): return out
            default: continue
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }

    /// The bytes as UTF-8: UTF-8 and US-ASCII as they are, ISO-8859-1 (and its common aliases, with
    /// windows-1252 read as ISO-8859-1) byte by byte; nil for any other charset.
    static func utf8(_ bytes: [UInt8], charset: some Collection<UInt8>) -> [UInt8]? {
        var name = String(decoding: charset, as: UTF8.self).lowercased()
        // RFC 2231 §5: `charset*language` in encoded words.
        if let star = name.firstIndex(of: "*") { name = String(name[..<star]) }
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "":
            return bytes
        case "iso-8859-1", "iso8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252":
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            for b in bytes {
                if b < 0x80 {
                    out.append(b)
                } else {
                    out.append(0xC0 | b >> 6)
                    out.append(0x80 | b & 0x3F)
                }
            }
            return out
        default:
            return nil
        }
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
