extension IMAPGrammarParser {
    // RFC 3516 §6:
    // fetch-att =/ "BINARY" [".PEEK"] section-binary [partial] / "BINARY.SIZE" section-binary
    // section-binary = "[" [section-part] "]"
    // partial = "<" number "." nz-number ">"
    mutating func parseBinaryAttribute(_ name: String) throws(IMAPParseError) -> IMAPFetchAttribute {
        try expect(UInt8(ascii: "["), "\"[\" after \(name)")
        var part: [Int] = []
        if !consume(UInt8(ascii: "]")) {
            repeat {
                part.append(Int(try parseNonZeroNumber()))
                guard part.count <= configuration.limits.maxNestingDepth else {
                    throw IMAPParseError(.nestingTooDeep, "Section part path too deep")
                }
            } while consume(UInt8(ascii: "."))
            try expect(UInt8(ascii: "]"), "\"]\" after the section part (BINARY takes part numbers only)")
        }
        if name == "BINARY.SIZE" { return .binarySize(part: part) }
        var partial: IMAPPartial?
        if consume(UInt8(ascii: "<")) {
            let offset = try parseNumber()
            try expect(UInt8(ascii: "."), "\".\" in a partial")
            let length = try parseNonZeroNumber()
            try expect(UInt8(ascii: ">"), "\">\" after a partial")
            partial = IMAPPartial(offset: offset, length: length)
        }
        return .binary(part: part, partial: partial, peek: name == "BINARY.PEEK")
    }
}
