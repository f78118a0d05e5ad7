/// The xtext encoding of DSN parameters (RFC 3461 §4):
///
///     xtext   = *( xchar / hexchar )
///     xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "="
///     hexchar = "+" 2( %x30-39 / %x41-46 )   ; "+" and two upper case hex digits
///
/// and, for the `utf-8` address type of ORCPT, RFC 6533 §3's `utf-8-addr-xtext`, which writes a non-ASCII
/// character as `\x{HEXPOINT}`.
public enum XText {
    /// `text` with every byte that is not an xchar written as `+HH`.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if (33...126).contains(byte), byte != UInt8(ascii: "+"), byte != UInt8(ascii: "=") {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                out += "+" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The text an xtext stands for; nil when it is not valid xtext or does not decode to UTF-8. Lower-case
    /// hex digits are accepted (some clients send them). With `utf8AddressForm`, `\x{...}` escapes
    /// (RFC 6533 §3) are decoded too.
    public static func decode(_ xtext: String, utf8AddressForm: Bool = false) -> String? {
        var bytes: [UInt8] = []
        var input = xtext.utf8[...]
        while let byte = input.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                guard let high = input.popFirst().flatMap(hexValue), let low = input.popFirst().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "\\") where utf8AddressForm:
                // `\x{` 1*6HEXDIG `}`: one Unicode scalar.
                guard input.popFirst() == UInt8(ascii: "x"), input.popFirst() == UInt8(ascii: "{"),
                      let close = input.firstIndex(of: UInt8(ascii: "}"))
                else { return nil }
                let digits = input[..<close]
                guard (1...6).contains(digits.count),
                      let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(value)
                else { return nil }
                bytes.append(contentsOf: String(Character(scalar)).utf8)
                input = input[input.index(after: close)...]
            case 33...126 where byte != UInt8(ascii: "="):
                bytes.append(byte)
            default:
                return nil
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
