/// Builds IMAP wire text (RFC 3501 §4 / RFC 9051 §4): atoms, NIL, quoted strings and literals.
///
/// RFC 3501 §4.3: a quoted string cannot carry CR, LF or 8-bit bytes, so those go out as a literal.
/// Loft also sends any string with `"` or `\` as a literal (Dovecot escapes up to four of them
/// inside a quoted string): several clients mis-handle escaped quotes (see Corpus/DIFFERENCES.md).
public struct IMAPWireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: Array(text.utf8))
    }

    public mutating func raw(_ byte: UInt8) {
        bytes.append(byte)
    }

    public mutating func writeNil() {
        raw("NIL")
    }

    /// RFC 3501 §9 `nstring = string / nil`.
    public mutating func nstring(_ value: [UInt8]?) {
        guard let value else { return writeNil() }
        string(value)
    }

    /// RFC 3501 §9 `string = quoted / literal`.
    public mutating func string(_ value: [UInt8]) {
        // NUL is not allowed in either form (RFC 3501 §4.3); it becomes U+FFFD.
        var value = value
        if value.contains(0) {
            value = value.flatMap { $0 == 0 ? [0xEF, 0xBF, 0xBD] : [$0] }
        }
        if Self.needsLiteral(value) {
            raw("{\(value.count)}\r\n")
            bytes.append(contentsOf: value)
        } else {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: value)
            bytes.append(UInt8(ascii: "\""))
        }
    }

    public mutating func string(_ value: String) {
        string(Array(value.utf8))
    }

    /// True when `value` cannot be a quoted string in Loft's output.
    public static func needsLiteral(_ value: [UInt8]) -> Bool {
        value.contains { $0 >= 0x80 || $0 == 0x0D || $0 == 0x0A || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }
}
