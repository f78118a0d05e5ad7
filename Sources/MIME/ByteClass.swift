/// Byte classes from RFC 5322 §3.2 and RFC 2045 §5.1 used by the header parsers.
enum ByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09

    /// RFC 5322 §2.2.2 WSP (plus CR and LF, which survive unfolding only when malformed).
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == space || b == tab || b == cr || b == lf
    }

    /// RFC 5322 §3.2.3 `specials`.
    static func isSpecial(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "\\"),
             UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "\""):
            return true
        default:
            return false
        }
    }

    /// RFC 5322 §3.2.3 `atext` (8-bit bytes accepted as in RFC 6532).
    static func isAtext(_ b: UInt8) -> Bool {
        b > space && b != 0x7F && !isSpecial(b)
    }

    /// RFC 2045 §5.1 `tspecials`.
    static func isTSpecial(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
             UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    /// RFC 2045 §5.1 `token` byte (8-bit bytes accepted leniently).
    static func isTokenByte(_ b: UInt8) -> Bool {
        b > space && b != 0x7F && !isTSpecial(b)
    }

    static func lower(_ b: UInt8) -> UInt8 {
        (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) ? b + 32 : b
    }

    /// ASCII case-insensitive comparison, without allocating: header lookups call it for every
    /// field of every message a FETCH or SEARCH parses.
    static func equalsIgnoringCase(_ a: [UInt8], _ b: String) -> Bool {
        let other = b.utf8
        guard a.count == other.count else { return false }
        var index = 0
        for byte in other {
            if lower(a[index]) != lower(byte) { return false }
            index += 1
        }
        return true
    }
}
