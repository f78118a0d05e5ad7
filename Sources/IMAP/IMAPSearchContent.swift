import MIME

/// One message's content as SEARCH reads it, decoded and folded lazily (once per message, however many
/// keys look at it).
struct IMAPSearchContent {
    let content: IMAPMessageContent
    private var foldedBody: [UInt8]?
    private var foldedHeader: [UInt8]?

    init(_ content: IMAPMessageContent) {
        self.content = content
    }

    /// The decoded values (RFC 2047) of every top-level field called `name`, in message order.
    func values(of name: String) -> [[UInt8]] {
        content.root.header.all(name).map { IMAPEncodedWords.decode($0.value) }
    }

    /// The whole top-level header as `Name: decoded value` lines, folded (for TEXT).
    mutating func header() -> [UInt8] {
        if let foldedHeader { return foldedHeader }
        let folded = IMAPSearchNeedle.fold(Self.headerText(content.root.header))
        foldedHeader = folded
        return folded
    }

    /// The body text, decoded as `IMAPSearchBodyText` describes, folded (for BODY and TEXT).
    mutating func body() -> [UInt8] {
        if let foldedBody { return foldedBody }
        var text: [UInt8] = []
        IMAPSearchBodyText.append(content.root, bytes: content.bytes, to: &text)
        let folded = IMAPSearchNeedle.fold(text)
        foldedBody = folded
        return folded
    }

    static func headerText(_ header: MessageHeader) -> [UInt8] {
        var out: [UInt8] = []
        for field in header.fields {
            out.append(contentsOf: field.name)
            out.append(contentsOf: [UInt8(ascii: ":"), IMAPByte.space])
            out.append(contentsOf: IMAPEncodedWords.decode(field.value))
            out.append(IMAPByte.lf)
        }
        return out
    }
}
