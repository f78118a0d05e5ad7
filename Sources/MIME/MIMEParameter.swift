/// One `attribute=value` pair of a Content-Type or Content-Disposition field (RFC 2045 §5.1),
/// after RFC 2231 §3 continuations are joined. Values are raw: RFC 2231 `charset'lang'%xx` and
/// RFC 2047 words are not decoded.
public struct MIMEParameter: Sendable, Hashable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: Array(name.utf8), value: Array(value.utf8))
    }
}
