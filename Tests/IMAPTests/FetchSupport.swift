import IMAP

/// Renders one FETCH response in memory and joins its pieces (which must all be bytes).
func renderInMemory(
    _ attributes: [IMAPFetchAttribute], stored: [UInt8], flags: [String] = [], internalDate: Int64 = 0,
    addUID: Bool = false, includeFlags: Bool = false
) -> [UInt8] {
    let content = IMAPMessageContent(storedBytes: stored)
    let metadata = IMAPMessageMetadata(
        sequenceNumber: 1, uid: 7, flags: flags, internalDate: internalDate, virtualSize: content.bytes.count)
    let pieces = IMAPFetchRenderer.render(
        attributes, message: metadata, content: content, addUID: addUID, includeFlags: includeFlags)
    return pieces.flatMap { piece -> [UInt8] in
        guard case .bytes(let b) = piece else { return Array("<stream!>".utf8) }
        return b
    }
}

/// `{n}\r\n` followed by the text with CRLF line endings.
func literal(_ text: String) -> [UInt8] {
    let data = wire(text)
    return Array("{\(data.count)}\r\n".utf8) + data
}

/// `* 1 FETCH (` + items + `)\r\n`.
func response(_ items: [UInt8]...) -> [UInt8] {
    Array("* 1 FETCH (".utf8) + items.flatMap { $0 } + Array(")\r\n".utf8)
}

func section(_ part: [Int] = [], _ text: IMAPSectionText? = nil, partial: IMAPPartial? = nil, peek: Bool = true)
    -> IMAPFetchAttribute
{
    .bodySection(IMAPSection(part: part, text: text), partial: partial, peek: peek)
}

/// Prints bytes readably in failure messages.
func show(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).replacing("\r\n", with: "⏎\n")
}
