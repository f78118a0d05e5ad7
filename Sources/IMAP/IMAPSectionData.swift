import MIME

/// The text a body section selects (RFC 3501 §6.4.5): a range of the CRLF-normalised message, or bytes
/// put together for it (HEADER.FIELDS).
enum IMAPSectionData: Equatable {
    case range(Range<Int>)
    case bytes([UInt8])

    var count: Int {
        switch self {
        case .range(let r): r.count
        case .bytes(let b): b.count
        }
    }

    /// RFC 3501 §6.4.5 partial `<origin.length>`: the octets from `origin`, at most `length` of them;
    /// nothing when the origin is past the end.
    func clipped(to partial: IMAPPartial?) -> IMAPSectionData {
        guard let partial else { return self }
        let origin = Swift.min(Int(partial.offset), count)
        let end = origin + Swift.min(Int(partial.length), count - origin)
        switch self {
        case .range(let r): return .range((r.lowerBound + origin)..<(r.lowerBound + end))
        case .bytes(let b): return .bytes(Array(b[origin..<end]))
        }
    }

    /// Selects `section` of a message; nil when it does not exist (RFC 3501 §4.5: NIL is the
    /// non-existence of a string, distinct from "").
    static func select(_ section: IMAPSection, in content: IMAPMessageContent) -> IMAPSectionData? {
        guard let part = IMAPSectionPath.part(at: section.part, in: content.root) else { return nil }
        guard let text = section.text else {
            // No section text: the whole message for `[]`, else the body of the part.
            return section.part.isEmpty ? .range(0..<content.bytes.count) : .range(part.bodyRange)
        }
        if text == .mime {
            // RFC 3501 §6.4.5: MIME is the part's own MIME header; it needs a part number.
            return section.part.isEmpty ? nil : .range(part.headerRange)
        }
        // HEADER, HEADER.FIELDS(.NOT) and TEXT apply to a message: the top level, or a part of type
        // message/rfc822 (RFC 3501 §6.4.5), whose encapsulated message they then describe.
        let message: MIMEPart
        if section.part.isEmpty {
            message = part
        } else if let inner = part.message {
            message = inner
        } else {
            return nil
        }
        switch text {
        case .header: return .range(message.headerRange)
        case .text: return .range(message.bodyRange)
        case .headerFields(let names): return .bytes(headerFields(of: message, names: names, matching: true))
        case .headerFieldsNot(let names): return .bytes(headerFields(of: message, names: names, matching: false))
        case .mime: return nil
        }
    }

    /// RFC 3501 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT: the fields whose name is (or is not) in the list,
    /// compared case-insensitively, in message order with their folds as stored, then the empty line.
    static func headerFields(of message: MIMEPart, names: [String], matching: Bool) -> [UInt8] {
        let wanted = names.map { Array($0.utf8) }
        var out: [UInt8] = []
        for field in message.header.fields {
            let listed = wanted.contains { IMAPByte.equalsIgnoringCase($0, field.name) }
            guard listed == matching else { continue }
            out.append(contentsOf: field.raw)
            // A last field without a line ending (header at the very end of the message) still ends in CRLF.
            if field.raw.last != IMAPByte.lf { out.append(contentsOf: [IMAPByte.cr, IMAPByte.lf]) }
        }
        out.append(contentsOf: [IMAPByte.cr, IMAPByte.lf])
        return out
    }
}
