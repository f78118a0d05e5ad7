extension IMAPGrammarParser {
    // fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")")
    mutating func parseFetch(uid: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let set = try parseSequenceSet()
        try expectSpace()
        var attributes: [IMAPFetchAttribute] = []
        if consume(UInt8(ascii: "(")) {
            repeat {
                attributes.append(try parseFetchAttribute())
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the fetch items")
        } else {
            let start = buffer.readerIndex
            switch try parseKeyword() {
            case "ALL": attributes = IMAPFetchAttribute.all
            case "FAST": attributes = IMAPFetchAttribute.fast
            case "FULL": attributes = IMAPFetchAttribute.full
            default:
                buffer.moveReaderIndex(to: start)
                attributes = [try parseFetchAttribute()]
            }
        }
        let (changedSince, vanished) = try parseFetchModifiers()
        return .fetch(set, attributes, uid: uid, changedSince: changedSince, vanished: vanished)
    }

    // fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"          (RFC 4466 §2.4)
    // fetch-modifier = "CHANGEDSINCE" SP mod-sequence-value / "VANISHED"         (RFC 7162 §7)
    mutating func parseFetchModifiers() throws(IMAPParseError) -> (changedSince: UInt64?, vanished: Bool) {
        guard consume(Self.space) else { return (nil, false) }
        try expect(UInt8(ascii: "("), "\"(\" before the fetch modifiers")
        var changedSince: UInt64?
        var vanished = false
        repeat {
            switch try parseKeyword() {
            case "CHANGEDSINCE":
                try expectSpace()
                changedSince = try parseNumber64()
            case "VANISHED":
                vanished = true
            case let name:
                throw fail("Unknown fetch modifier \(name.prefix(40))")
            }
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the fetch modifiers")
        // RFC 7162 §3.2.6: VANISHED only with CHANGEDSINCE.
        if vanished && changedSince == nil { throw fail("VANISHED needs CHANGEDSINCE") }
        return (changedSince, vanished)
    }

    // fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] /
    //             "BODY" ["STRUCTURE"] / "UID" /
    //             "BODY" section ["<" number "." nz-number ">"] /
    //             "BODY.PEEK" section ["<" number "." nz-number ">"]
    mutating func parseFetchAttribute() throws(IMAPParseError) -> IMAPFetchAttribute {
        let name = try parseKeyword()
        switch name {
        case "ENVELOPE": return .envelope
        case "FLAGS": return .flags
        case "INTERNALDATE": return .internalDate
        case "RFC822": return .rfc822
        case "RFC822.HEADER": return .rfc822Header
        case "RFC822.SIZE": return .rfc822Size
        case "RFC822.TEXT": return .rfc822Text
        case "BODYSTRUCTURE": return .bodyStructure(extensions: true)
        case "UID": return .uid
        case "MODSEQ": return .modSeq
        // fetch-att =/ "EMAILID" / "THREADID"  (RFC 8474 §7)
        case "EMAILID": return .emailID
        case "THREADID": return .threadID
        case "BODY", "BODY.PEEK":
            let peek = name == "BODY.PEEK"
            guard self.peek() == UInt8(ascii: "[") else {
                if peek { throw fail("BODY.PEEK needs a section") }
                return .bodyStructure(extensions: false)
            }
            let section = try parseSection()
            var partial: IMAPPartial?
            if consume(UInt8(ascii: "<")) {
                let offset = try parseNumber()
                try expect(UInt8(ascii: "."), "\".\" in a partial")
                let length = try parseNonZeroNumber()
                try expect(UInt8(ascii: ">"), "\">\" after a partial")
                partial = IMAPPartial(offset: offset, length: length)
            }
            return .bodySection(section, partial: partial, peek: peek)
        case "BINARY", "BINARY.PEEK", "BINARY.SIZE":
            return try parseBinaryAttribute(name)
        default:
            throw fail("Unknown fetch item \(name.prefix(40))")
        }
    }

    // section = "[" [section-spec] "]"
    // section-spec = section-msgtext / (section-part ["." section-text])
    // section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
    // section-part = nz-number *("." nz-number)
    // section-text = section-msgtext / "MIME"
    mutating func parseSection() throws(IMAPParseError) -> IMAPSection {
        try expect(UInt8(ascii: "["), "\"[\"")
        var section = IMAPSection()
        if consume(UInt8(ascii: "]")) { return section }
        var needText = true
        if let first = peek(), Self.isDigit(first) {
            needText = false
            repeat {
                let number = try parseNonZeroNumber()
                section.part.append(Int(number))
                guard section.part.count <= configuration.limits.maxNestingDepth else {
                    throw IMAPParseError(.nestingTooDeep, "Section part path too deep")
                }
                guard consume(UInt8(ascii: ".")) else { break }
                if let next = peek(), !Self.isDigit(next) {
                    needText = true
                    break
                }
            } while true
        }
        if needText {
            let name = try parseKeyword()
            switch name {
            case "HEADER": section.text = .header
            case "TEXT": section.text = .text
            case "MIME" where !section.part.isEmpty: section.text = .mime
            case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
                try expectSpace()
                let fields = try parseHeaderList()
                section.text = name == "HEADER.FIELDS" ? .headerFields(fields) : .headerFieldsNot(fields)
            default: throw fail("Unknown section \(name.prefix(40))")
            }
        }
        try expect(UInt8(ascii: "]"), "\"]\" after the section")
        return section
    }

    // header-list = "(" header-fld-name *(SP header-fld-name) ")"
    // header-fld-name = astring
    mutating func parseHeaderList() throws(IMAPParseError) -> [String] {
        try expect(UInt8(ascii: "("), "\"(\" before the header names")
        var names: [String] = []
        repeat {
            names.append(try parseHeaderFieldName())
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the header names")
        return names
    }

    /// A header field name is an astring whose bytes must be printable ASCII except ":"
    /// (RFC 5322 §3.6.8 `ftext`).
    mutating func parseHeaderFieldName() throws(IMAPParseError) -> String {
        let bytes = try parseAString()
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }) else {
            throw fail("Invalid header field name")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
