import MIME

/// Renders untagged FETCH responses (RFC 3501 §7.4.2) for one message at a time.
public enum IMAPFetchRenderer {
    /// `metadata` for FLAGS/UID/INTERNALDATE/RFC822.SIZE only; `wholeMessageOnly` when the only content items
    /// are whole-message sections (BODY[] / BODY.PEEK[] with or without a partial, RFC822), which the caller may
    /// stream from disk; `content` when anything needs the parsed message.
    public static func needs(_ attributes: [IMAPFetchAttribute]) -> IMAPFetchNeeds {
        attributes.reduce(.metadata) { Swift.max($0, needs($1)) }
    }

    static func needs(_ attribute: IMAPFetchAttribute) -> IMAPFetchNeeds {
        switch attribute {
        case .flags, .uid, .internalDate, .rfc822Size, .modSeq, .emailID, .threadID: .metadata
        case .rfc822: .wholeMessageOnly
        case .bodySection(let section, _, _): isWholeMessage(section) ? .wholeMessageOnly : .content
        case .envelope, .bodyStructure, .rfc822Header, .rfc822Text, .binary, .binarySize: .content
        }
    }

    static func isWholeMessage(_ section: IMAPSection) -> Bool {
        section.part.isEmpty && section.text == nil
    }

    /// The complete untagged response `* <seq> FETCH (...)\r\n` for one message, items in the order requested
    /// (an item asked for twice is sent once). `addUID` puts UID first unless requested (UID FETCH, RFC 3501
    /// §6.4.8); `includeFlags` appends FLAGS unless requested (a non-PEEK body fetch just set \Seen, RFC 3501
    /// §6.4.5; `message.flags` must already hold it).
    ///
    /// `content` may be nil only when `needs(attributes) <= .wholeMessageOnly`: a whole-message section is
    /// then the literal header followed by `.messageRange` over `0..<message.virtualSize` (clipped by a
    /// partial). Should a caller pass nil anyway, sections are sent as NIL and ENVELOPE/BODY as NIL.
    /// `structure` (from the cache) answers ENVELOPE, BODY and BODYSTRUCTURE without `content`.
    public static func render(
        _ attributes: [IMAPFetchAttribute], message: IMAPMessageMetadata, content: IMAPMessageContent?,
        structure: IMAPMessageStructure? = nil, addUID: Bool, includeFlags: Bool
    ) -> [IMAPFetchPiece] {
        var items: [IMAPFetchAttribute] = []
        items.reserveCapacity(attributes.count + 2)
        if addUID, !attributes.contains(.uid) { items.append(.uid) }
        for attribute in attributes where !items.contains(attribute) { items.append(attribute) }
        if includeFlags, !items.contains(.flags) { items.append(.flags) }

        var out = IMAPFetchResponseBuilder()
        out.append("* ")
        out.appendDecimal(message.sequenceNumber)
        out.append(" FETCH (")
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(" ") }
            write(item, message: message, content: content, structure: structure, into: &out)
        }
        out.append(")\r\n")
        return out.finish()
    }

    static func write(
        _ item: IMAPFetchAttribute, message: IMAPMessageMetadata, content: IMAPMessageContent?,
        structure: IMAPMessageStructure?, into out: inout IMAPFetchResponseBuilder
    ) {
        switch item {
        case .uid:
            out.append("UID ")
            out.appendDecimal(message.uid)
        case .flags:
            out.append("FLAGS (")
            for (index, flag) in message.flags.enumerated() {
                if index > 0 { out.append(" ") }
                out.append(flag.utf8)
            }
            out.append(")")
        case .internalDate:
            out.append("INTERNALDATE ")
            IMAPInternalDateFormat.append(message.internalDate, to: &out.bytes)
        case .rfc822Size:
            out.append("RFC822.SIZE ")
            out.appendDecimal(message.virtualSize)
        case .modSeq:
            out.append("MODSEQ (")
            out.appendDecimal(message.modSeq)
            out.append(")")
        case .emailID:
            out.append("EMAILID (")
            out.append(message.emailID.utf8)
            out.append(")")
        case .threadID:
            out.append("THREADID NIL")  // RFC 8474 §5.2: a server that does not thread answers NIL
        case .envelope:
            out.append("ENVELOPE ")
            if let structure { return out.append(structure.envelope) }
            guard let content else { return out.append("NIL") }
            var writer = IMAPWireWriter()
            IMAPEnvelope(header: content.root.header).write(into: &writer)
            out.append(writer.bytes)
        case .bodyStructure(let extensions):
            out.append(extensions ? "BODYSTRUCTURE " : "BODY ")
            if let cached = extensions ? structure?.bodyStructure : structure?.body { return out.append(cached) }
            guard let content else { return out.append("NIL") }
            var writer = IMAPWireWriter()
            IMAPBodyStructure.write(content.root, extended: extensions, into: &writer)
            out.append(writer.bytes)
        case .rfc822:
            out.append("RFC822 ")
            writeSection(IMAPSection(), partial: nil, message: message, content: content, into: &out)
        case .rfc822Header:
            // RFC 3501 §6.4.5: RFC822.HEADER is BODY.PEEK[HEADER] under its own name.
            out.append("RFC822.HEADER ")
            writeSection(IMAPSection(text: .header), partial: nil, message: message, content: content, into: &out)
        case .rfc822Text:
            out.append("RFC822.TEXT ")
            writeSection(IMAPSection(text: .text), partial: nil, message: message, content: content, into: &out)
        case .bodySection(let section, let partial, _):
            // RFC 3501 §7.4.2: the response is named BODY (never BODY.PEEK) with the section spec, and only
            // the origin octet of a partial.
            out.append("BODY")
            IMAPSectionSpec.append(section, to: &out.bytes)
            if let partial {
                out.append("<")
                out.appendDecimal(partial.offset)
                out.append(">")
            }
            out.append(" ")
            writeSection(section, partial: partial, message: message, content: content, into: &out)
        case .binary(let part, let partial, _):
            // RFC 3516 §4.2: named BINARY (never BINARY.PEEK), with the origin of a partial as BODY has it.
            out.append("BINARY")
            IMAPSectionSpec.append(IMAPSection(part: part), to: &out.bytes)
            if let partial {
                out.append("<")
                out.appendDecimal(partial.offset)
                out.append(">")
            }
            out.append(" ")
            guard let content, let data = IMAPBinarySection.decoded(part, in: content) else { return out.append("NIL") }
            switch IMAPSectionData.bytes(data).clipped(to: partial) {
            case .bytes(let bytes): out.binaryLiteral(bytes)
            case .range(let range): out.binaryLiteral(data[range])
            }
        case .binarySize(let part):
            out.append("BINARY.SIZE")
            IMAPSectionSpec.append(IMAPSection(part: part), to: &out.bytes)
            out.append(" ")
            // RFC 3516 §4.2 gives the size as a number, with no NIL: a missing part counts 0.
            let size = content.flatMap { IMAPBinarySection.decoded(part, in: $0)?.count } ?? 0
            out.appendDecimal(size)
        }
    }

    /// The section's text as a literal, `""` when empty (RFC 3501 §6.4.5: an origin past the end gives an
    /// empty string), NIL when the section does not exist.
    static func writeSection(
        _ section: IMAPSection, partial: IMAPPartial?, message: IMAPMessageMetadata, content: IMAPMessageContent?,
        into out: inout IMAPFetchResponseBuilder
    ) {
        guard let content else {
            guard isWholeMessage(section) else { return out.append("NIL") }
            guard case .range(let range) = IMAPSectionData.range(0..<message.virtualSize).clipped(to: partial),
                !range.isEmpty
            else { return out.append("\"\"") }
            out.literalHeader(range.count)
            out.stream(offset: range.lowerBound, count: range.count)
            return
        }
        guard let data = IMAPSectionData.select(section, in: content)?.clipped(to: partial) else {
            return out.append("NIL")
        }
        switch data {
        case .range(let range): out.literal(content.bytes[range])
        case .bytes(let bytes): out.literal(bytes)
        }
    }
}
