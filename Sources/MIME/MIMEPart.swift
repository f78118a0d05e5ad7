/// One entity of the MIME tree (RFC 2045 §2.4): its header, body and the MIME fields IMAP reports.
/// Ranges index the message bytes given to `MIMEParser.parse`. Sizes and line counts are as if
/// every line ended in CRLF (RFC 3501 §7.4.2 `body-fld-octets`, `body-fld-lines`).
public struct MIMEPart: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A single part, or a multipart / message kept whole (no boundary, limits reached).
        case leaf
        /// RFC 2046 §5.1: `children` are the body parts, possibly none.
        case multipart
        /// RFC 2046 §5.2.1 message/rfc822: `children` holds the one encapsulated message.
        case message
    }

    public var kind: Kind
    public var header: MessageHeader
    public var headerRange: Range<Int>
    public var bodyRange: Range<Int>

    /// Header size and lines in CRLF octets (including the empty line that ends it, if any).
    public var headerSize: Int
    public var headerLines: Int
    /// Body size and lines in CRLF octets.
    public var bodySize: Int
    public var bodyLines: Int

    /// Content-Type as written, or the default (text/plain, or message/rfc822 in a digest).
    public var type: [UInt8]
    public var subtype: [UInt8]
    public var parameters: [MIMEParameter]
    /// False when the part had no valid Content-Type (RFC 2045 §5.2 defaults apply).
    public var hasContentType: Bool

    public var id: [UInt8]?
    public var description: [UInt8]?
    /// RFC 2045 §6 mechanism as written; nil when absent or not a token (then `7bit` is reported).
    public var encoding: [UInt8]?
    public var md5: [UInt8]?
    public var dispositionType: [UInt8]?
    public var dispositionParameters: [MIMEParameter]
    public var languages: [[UInt8]]?
    public var location: [UInt8]?

    public var children: [MIMEPart]

    public init(
        kind: Kind, header: MessageHeader, headerRange: Range<Int>, bodyRange: Range<Int>,
        headerSize: Int, headerLines: Int, bodySize: Int, bodyLines: Int,
        type: [UInt8], subtype: [UInt8], parameters: [MIMEParameter], hasContentType: Bool,
        id: [UInt8]? = nil, description: [UInt8]? = nil, encoding: [UInt8]? = nil, md5: [UInt8]? = nil,
        dispositionType: [UInt8]? = nil, dispositionParameters: [MIMEParameter] = [],
        languages: [[UInt8]]? = nil, location: [UInt8]? = nil, children: [MIMEPart] = []
    ) {
        self.kind = kind
        self.header = header
        self.headerRange = headerRange
        self.bodyRange = bodyRange
        self.headerSize = headerSize
        self.headerLines = headerLines
        self.bodySize = bodySize
        self.bodyLines = bodyLines
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
        self.hasContentType = hasContentType
        self.id = id
        self.description = description
        self.encoding = encoding
        self.md5 = md5
        self.dispositionType = dispositionType
        self.dispositionParameters = dispositionParameters
        self.languages = languages
        self.location = location
        self.children = children
    }

    /// The encapsulated message of a message/rfc822 part.
    public var message: MIMEPart? {
        kind == .message ? children.first : nil
    }

    public func isType(_ type: String, _ subtype: String? = nil) -> Bool {
        ByteClass.equalsIgnoringCase(self.type, type)
            && (subtype.map { ByteClass.equalsIgnoringCase(self.subtype, $0) } ?? true)
    }

    /// The value of the first parameter called `name` (case-insensitive).
    public func parameter(_ name: String) -> [UInt8]? {
        parameters.first { ByteClass.equalsIgnoringCase($0.name, name) }?.value
    }
}
