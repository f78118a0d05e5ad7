extension IMAPGrammarParser {
    // list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]   (RFC 5258 §6)
    // mbox-or-pat = list-mailbox / patterns
    // patterns = "(" list-mailbox *(SP list-mailbox) ")"
    mutating func parseList() throws(IMAPParseError) -> IMAPListCommand {
        try expectSpace()
        var selection: [IMAPListSelectionOption] = []
        if peek() == UInt8(ascii: "(") {
            selection = try parseListSelectionOptions()
            try expectSpace()
        }
        let reference = try parseMailbox()
        try expectSpace()
        var patterns: [[UInt8]] = []
        if consume(UInt8(ascii: "(")) {
            repeat {
                patterns.append(try parseListMailbox())
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the patterns")
        } else {
            patterns = [try parseListMailbox()]
        }
        var returnOptions: [IMAPListReturnOption]?
        if consume(Self.space) {
            returnOptions = try parseListReturnOptions()
        }
        return IMAPListCommand(selectionOptions: selection, reference: reference, patterns: patterns, returnOptions: returnOptions)
    }

    // list-select-opts = "(" [ (*(list-select-opt SP) list-select-base-opt *(SP list-select-opt))
    //                          / (list-select-independent-opt *(SP list-select-independent-opt)) ] ")"
    // list-select-base-opt = "SUBSCRIBED" / option-extension
    // list-select-independent-opt = "REMOTE" / option-extension
    // list-select-mod-opt = "RECURSIVEMATCH" / option-extension
    //   ; RFC 6154 §6: list-select-base-opt =/ "SPECIAL-USE"
    mutating func parseListSelectionOptions() throws(IMAPParseError) -> [IMAPListSelectionOption] {
        try expect(UInt8(ascii: "("), "\"(\"")
        var options: [IMAPListSelectionOption] = []
        if !consume(UInt8(ascii: ")")) {
            repeat {
                let name = try parseKeyword()
                guard let option = IMAPListSelectionOption(rawValue: name) else {
                    throw fail("Unknown LIST selection option \(name.prefix(40))")
                }
                options.append(option)
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the selection options")
        }
        // RFC 5258 §3.1: RECURSIVEMATCH alone (without a base option) is an error.
        if options.contains(.recursiveMatch), !options.contains(.subscribed), !options.contains(.specialUse) {
            throw fail("RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE")
        }
        return options
    }

    // list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
    // return-option = "SUBSCRIBED" / "CHILDREN" / option-extension
    //   ; RFC 6154 §6: =/ "SPECIAL-USE"; RFC 5819 §6: =/ "STATUS" SP "(" status-att *(SP status-att) ")"
    mutating func parseListReturnOptions() throws(IMAPParseError) -> [IMAPListReturnOption] {
        guard try parseKeyword() == "RETURN" else { throw fail("Expected RETURN") }
        try expectSpace()
        try expect(UInt8(ascii: "("), "\"(\" after RETURN")
        var options: [IMAPListReturnOption] = []
        if consume(UInt8(ascii: ")")) { return options }
        repeat {
            let name = try parseKeyword()
            switch name {
            case "SUBSCRIBED": options.append(.subscribed)
            case "CHILDREN": options.append(.children)
            case "SPECIAL-USE": options.append(.specialUse)
            case "STATUS":
                try expectSpace()
                options.append(.status(try parseStatusAttributes()))
            default: throw fail("Unknown LIST return option \(name.prefix(40))")
            }
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the return options")
        return options
    }
}
