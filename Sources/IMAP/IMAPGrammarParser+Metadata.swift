extension IMAPGrammarParser {
    // getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries   (RFC 5464 §5)
    // getmetadata-options = "(" getmetadata-option *(SP getmetadata-option) ")"
    // getmetadata-option = maxsize-opt / scope-opt
    // maxsize-opt = "MAXSIZE" SP number
    // scope-opt = "DEPTH" SP ("0" / "1" / "infinity")
    // entries = entry / "(" entry *(SP entry) ")"
    mutating func parseGetMetadata() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        var options = IMAPMetadataOptions()
        if consume(UInt8(ascii: "(")) {
            repeat {
                let option = try parseAtom().uppercased()
                try expectSpace()
                switch option {
                case "MAXSIZE": options.maxSize = try parseNumber()
                case "DEPTH":
                    switch try parseAtom().lowercased() {
                    case "0": options.depth = .zero
                    case "1": options.depth = .one
                    case "infinity": options.depth = .infinity
                    default: throw fail("DEPTH is 0, 1 or infinity")
                    }
                default: throw fail("Unknown GETMETADATA option \(option.prefix(40))")
                }
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the GETMETADATA options")
            try expectSpace()
        }
        let mailbox = try parseMailbox()
        try expectSpace()
        var entries: [IMAPMetadataEntryName] = []
        if consume(UInt8(ascii: "(")) {
            repeat { entries.append(try parseMetadataEntry()) } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the entries")
        } else {
            entries.append(try parseMetadataEntry())
        }
        return .metadata(.get(mailbox, entries: entries, options: options))
    }

    // setmetadata = "SETMETADATA" SP mailbox SP entry-values
    // entry-values = "(" entry-value *(SP entry-value) ")"
    // entry-value = entry SP value
    // value = nstring / literal8   (literal8 is not accepted: Loft does not offer BINARY values)
    mutating func parseSetMetadata() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let mailbox = try parseMailbox()
        try expectSpace()
        try expect(UInt8(ascii: "("), "\"(\" before the entry values")
        var values: [IMAPMetadataValue] = []
        repeat {
            let entry = try parseMetadataEntry()
            guard !entry.isNamespaceRoot else { throw fail("\(entry.name) is a namespace, not an entry that can hold a value") }
            try expectSpace()
            values.append(IMAPMetadataValue(entry: entry, value: try parseNString()))
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the entry values")
        return .metadata(.set(mailbox, values: values))
    }

    // entry = astring   ; slash-separated path-like entry name (§3.2.1)
    private mutating func parseMetadataEntry() throws(IMAPParseError) -> IMAPMetadataEntryName {
        let bytes = try parseAString()
        guard let entry = IMAPMetadataEntryName(bytes) else {
            throw fail("Invalid entry name \(String(decoding: bytes.prefix(60), as: UTF8.self)): it must start with /private/ or /shared/, without *, %, // or a trailing /")
        }
        return entry
    }
}
