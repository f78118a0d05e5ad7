extension IMAPGrammarParser {
    static let searchKeysWithArguments: Set<String> = [
        "BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO", "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE",
        "KEYWORD", "UNKEYWORD", "LARGER", "SMALLER", "UID", "HEADER", "NOT", "OR", "MODSEQ", "EMAILID", "THREADID",
    ]

    // search = "SEARCH" [search-return-opts] [SP "CHARSET" SP astring] 1*(SP search-key)
    //   ; CHARSET argument to MUST be registered with IANA
    // search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"  (RFC 4731)
    mutating func parseSearch(uid: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let returnOptions = try parseSearchReturnOptions()
        var charset: String?
        let start = buffer.readerIndex
        if (try? parseKeyword()) == "CHARSET", consume(Self.space) {
            let name = try parseAString()
            guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw fail("Invalid charset name") }
            charset = String(decoding: name, as: UTF8.self)
            try expectSpace()
        } else {
            buffer.moveReaderIndex(to: start)
        }
        return .search(IMAPSearchCommand(charset: charset, key: try parseSearchKeys(), returnOptions: returnOptions), uid: uid)
    }

    // search-return-opts = "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")" SP  (RFC 4731 §7;
    // RFC 5267 sort-return-opts is the same). Nil, with nothing consumed, when there is no RETURN.
    mutating func parseSearchReturnOptions() throws(IMAPParseError) -> [IMAPSearchReturnOption]? {
        let beforeReturn = buffer.readerIndex
        guard (try? parseKeyword()) == "RETURN", consume(Self.space) else {
            buffer.moveReaderIndex(to: beforeReturn)
            return nil
        }
        try expect(UInt8(ascii: "("), "\"(\" after RETURN")
        var options: [IMAPSearchReturnOption] = []
        if !consume(UInt8(ascii: ")")) {
            repeat {
                let name = try parseKeyword()
                guard let option = IMAPSearchReturnOption(rawValue: name) else {
                    throw fail("Unknown SEARCH RETURN option \(name.prefix(40))")
                }
                options.append(option)
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the RETURN options")
        }
        try expectSpace()
        return options
    }

    /// `1*(SP search-key)` after the first space: several keys are ANDed.
    mutating func parseSearchKeys() throws(IMAPParseError) -> IMAPSearchKey {
        var keys: [IMAPSearchKey] = []
        repeat {
            keys.append(try parseSearchKey())
        } while consume(Self.space)
        return keys.count == 1 ? keys[0] : .and(keys)
    }

    // search-key = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / "BODY" SP astring /
    //              "CC" SP astring / "DELETED" / "FLAGGED" / "FROM" SP astring / "KEYWORD" SP flag-keyword /
    //              "NEW" / "OLD" / "ON" SP date / "RECENT" / "SEEN" / "SINCE" SP date / "SUBJECT" SP astring /
    //              "TEXT" SP astring / "TO" SP astring / "UNANSWERED" / "UNDELETED" / "UNFLAGGED" /
    //              "UNKEYWORD" SP flag-keyword / "UNSEEN" /
    //              "DRAFT" / "HEADER" SP header-fld-name SP astring / "LARGER" SP number64 /
    //              "NOT" SP search-key / "OR" SP search-key SP search-key / "SENTBEFORE" SP date /
    //              "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number64 / "UID" SP sequence-set /
    //              "UNDRAFT" / sequence-set / "(" search-key *(SP search-key) ")"
    mutating func parseSearchKey() throws(IMAPParseError) -> IMAPSearchKey {
        guard let first = peek() else { throw fail("Expected a search key") }
        if first == UInt8(ascii: "(") {
            return try nested { (parser: inout Self) throws(IMAPParseError) -> IMAPSearchKey in
                parser.buffer.moveReaderIndex(forwardBy: 1)
                var keys: [IMAPSearchKey] = []
                repeat {
                    keys.append(try parser.parseSearchKey())
                } while parser.consume(Self.space)
                try parser.expect(UInt8(ascii: ")"), "\")\" after the search keys")
                return .and(keys)
            }
        }
        if Self.isDigit(first) || first == UInt8(ascii: "*") || first == UInt8(ascii: "$") {
            return .sequenceSet(try parseSequenceSet())
        }
        let name = try parseKeyword()
        switch name {
        case "ALL": return .all
        case "ANSWERED": return .answered
        case "DELETED": return .deleted
        case "DRAFT": return .draft
        case "FLAGGED": return .flagged
        case "NEW": return .new
        case "OLD": return .old
        case "RECENT": return .recent
        case "SEEN": return .seen
        case "UNANSWERED": return .unanswered
        case "UNDELETED": return .undeleted
        case "UNDRAFT": return .undraft
        case "UNFLAGGED": return .unflagged
        case "UNSEEN": return .unseen
        default: break
        }
        guard Self.searchKeysWithArguments.contains(name) else { throw fail("Unknown search key \(name.prefix(40))") }
        try expectSpace()
        switch name {
        case "BCC": return .bcc(try parseAString())
        case "BODY": return .body(try parseAString())
        case "CC": return .cc(try parseAString())
        case "FROM": return .from(try parseAString())
        case "SUBJECT": return .subject(try parseAString())
        case "TEXT": return .text(try parseAString())
        case "TO": return .to(try parseAString())
        case "BEFORE": return .before(try parseDate())
        case "ON": return .on(try parseDate())
        case "SINCE": return .since(try parseDate())
        case "SENTBEFORE": return .sentBefore(try parseDate())
        case "SENTON": return .sentOn(try parseDate())
        case "SENTSINCE": return .sentSince(try parseDate())
        case "KEYWORD": return .keyword(try parseAtom())
        case "UNKEYWORD": return .unkeyword(try parseAtom())
        case "LARGER": return .larger(try parseNumber64())
        case "SMALLER": return .smaller(try parseNumber64())
        // search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer  (RFC 7162 §7)
        // search-modseq-ext = SP entry-name SP entry-type-req
        case "MODSEQ":
            if peek() == UInt8(ascii: "\"") {
                _ = try parseAString()  // entry-name, e.g. "/flags/\\draft"
                try expectSpace()
                guard ["PRIV", "SHARED", "ALL"].contains(try parseKeyword()) else { throw fail("Expected priv, shared or all") }
                try expectSpace()
            }
            return .modSeq(try parseNumber64())
        case "UID": return .uid(try parseSequenceSet())
        // search-key =/ "EMAILID" SP objectid / "THREADID" SP objectid  (RFC 8474 §7)
        case "EMAILID": return .emailID(try parseObjectID())
        case "THREADID": return .threadID(try parseObjectID())
        case "HEADER":
            let field = try parseHeaderFieldName()
            try expectSpace()
            return .header(field, try parseAString())
        case "NOT":
            return try nested { (parser: inout Self) throws(IMAPParseError) -> IMAPSearchKey in
                .not(try parser.parseSearchKey())
            }
        case "OR":
            return try nested { (parser: inout Self) throws(IMAPParseError) -> IMAPSearchKey in
                let first = try parser.parseSearchKey()
                try parser.expectSpace()
                return .or(first, try parser.parseSearchKey())
            }
        default:
            throw fail("Unknown search key \(name.prefix(40))")
        }
    }

    // objectid = 1*255(ALPHA / DIGIT / "_" / "-")  (RFC 8474 §7)
    mutating func parseObjectID() throws(IMAPParseError) -> String {
        let bytes = readWhile(Self.isAtomChar)
        guard (1...255).contains(bytes.count),
              bytes.allSatisfy({ Self.isAlpha($0) || Self.isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { throw fail("Expected an object id (1 to 255 letters, digits, \"_\" or \"-\")") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
