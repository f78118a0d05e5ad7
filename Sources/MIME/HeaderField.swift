/// One RFC 5322 §2.2 header field: its name, the raw bytes as stored (folds included) and the
/// unfolded value (RFC 5322 §2.2.3: CRLF before WSP removed, the WSP kept; RFC 2047 words kept raw).
public struct HeaderField: Sendable, Hashable {
    /// The field name as written, without surrounding whitespace.
    public var name: [UInt8]
    /// Every byte of the field in the message, from the name to the end of its last line (EOL included).
    public var raw: [UInt8]
    /// The value after the colon with leading whitespace and every line break removed.
    public var value: [UInt8]

    public init(name: [UInt8], raw: [UInt8], value: [UInt8]) {
        self.name = name
        self.raw = raw
        self.value = value
    }

    public var nameString: String { String(decoding: name, as: UTF8.self) }

    public func hasName(_ other: String) -> Bool {
        ByteClass.equalsIgnoringCase(name, other)
    }
}
