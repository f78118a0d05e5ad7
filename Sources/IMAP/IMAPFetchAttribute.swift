/// A FETCH data item (RFC 3501 §6.4.5). The macros ALL, FAST and FULL are expanded by the
/// parser.
public enum IMAPFetchAttribute: Sendable, Hashable {
    case envelope
    case flags
    case internalDate
    case rfc822
    case rfc822Header
    case rfc822Text
    case rfc822Size
    /// `BODY` without a section: the non-extensible BODYSTRUCTURE.
    case bodyStructure(extensions: Bool)
    case uid
    /// RFC 7162 §3.1.4.1: the message's mod-sequence.
    case modSeq
    /// RFC 8474 §5.1: the message's EMAILID.
    case emailID
    /// RFC 8474 §5.2: the message's THREADID (always NIL: Loft keeps no threads).
    case threadID
    /// `BODY[section]<partial>` or `BODY.PEEK[section]<partial>`.
    case bodySection(IMAPSection, partial: IMAPPartial?, peek: Bool)
    /// RFC 3516 §4.2 `BINARY[part]<partial>` or `BINARY.PEEK[part]<partial>`: the part with its
    /// content-transfer-encoding removed (the partial counts decoded octets).
    case binary(part: [Int], partial: IMAPPartial?, peek: Bool)
    /// RFC 3516 §4.2 `BINARY.SIZE[part]`: the decoded size.
    case binarySize(part: [Int])

    /// RFC 3501 §6.4.5: ALL, FAST and FULL.
    public static let all: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope]
    public static let fast: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size]
    public static let full: [IMAPFetchAttribute] = all + [.bodyStructure(extensions: false)]
}

/// `<offset.length>` of a partial fetch.
public struct IMAPPartial: Sendable, Hashable {
    public var offset: UInt32
    public var length: UInt32

    public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }
}

/// RFC 3501 §6.4.5 `section`: a part path (empty for the whole message) and what of it.
public struct IMAPSection: Sendable, Hashable {
    public var part: [Int]
    public var text: IMAPSectionText?

    public init(part: [Int] = [], text: IMAPSectionText? = nil) {
        self.part = part
        self.text = text
    }
}

public enum IMAPSectionText: Sendable, Hashable {
    case header
    /// Header field names as sent (compare case-insensitively).
    case headerFields([String])
    case headerFieldsNot([String])
    case text
    /// Only after a part number.
    case mime
}
