extension IMAPGrammarParser {
    // sort = ["UID" SP] "SORT" [SP sort-return-opts] SP sort-criteria SP search-criteria
    //   (RFC 5256 §5; sort-return-opts: RFC 5267, formal syntax)
    // sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
    // sort-criterion = ["REVERSE" SP] sort-key
    // sort-key = "ARRIVAL" / "CC" / "DATE" / "FROM" / "SIZE" / "SUBJECT" / "TO"
    //   / "DISPLAYFROM" / "DISPLAYTO"  (RFC 5957 §4)
    // search-criteria = charset 1*(SP search-key)
    mutating func parseSort(uid: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let returnOptions = try parseSearchReturnOptions()
        try expect(UInt8(ascii: "("), "\"(\" before the sort criteria")
        var criteria: [IMAPSortCriterion] = []
        repeat {
            var name = try parseKeyword()
            var reverse = false
            if name == "REVERSE" {
                try expectSpace()
                reverse = true
                name = try parseKeyword()
            }
            guard let key = IMAPSortKey(rawValue: name) else { throw fail("Unknown sort key \(name.prefix(40))") }
            criteria.append(IMAPSortCriterion(key, reverse: reverse))
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the sort criteria")
        try expectSpace()
        let charset = try parseSearchCharset()
        try expectSpace()
        let search = IMAPSearchCommand(charset: charset, key: try parseSearchKeys(), returnOptions: returnOptions)
        return .sort(IMAPSortCommand(criteria: criteria, search: search), uid: uid)
    }

    // thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria   (RFC 5256 §5)
    // thread-alg = "ORDEREDSUBJECT" / "REFERENCES" / thread-alg-ext
    mutating func parseThread(uid: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let name = try parseKeyword()
        guard let algorithm = IMAPThreadAlgorithm(rawValue: name) else {
            throw fail("Unknown threading algorithm \(name.prefix(40))")
        }
        try expectSpace()
        let charset = try parseSearchCharset()
        try expectSpace()
        let search = IMAPSearchCommand(charset: charset, key: try parseSearchKeys())
        return .thread(IMAPThreadCommand(algorithm: algorithm, search: search), uid: uid)
    }

    // charset = atom / quoted   (RFC 3501 §9; SORT and THREAD require it)
    mutating func parseSearchCharset() throws(IMAPParseError) -> String {
        let name = try parseAString()
        guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw fail("Invalid charset name") }
        return String(decoding: name, as: UTF8.self)
    }
}
