extension IMAPGrammarParser {
    // getquota = "GETQUOTA" SP quota-root-name          (RFC 9208 §9)
    // quota-root-name = astring
    mutating func parseGetQuota() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        return .quota(.getQuota(root: try parseAString()))
    }

    // getquotaroot = "GETQUOTAROOT" SP mailbox
    mutating func parseGetQuotaRoot() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        return .quota(.getQuotaRoot(try parseMailbox()))
    }

    // setquota = "SETQUOTA" SP quota-root-name SP setquota-list
    // setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")"
    // setquota-resource = resource-name SP resource-limit
    // resource-name = "STORAGE" / "MESSAGE" / "MAILBOX" / "ANNOTATION-STORAGE" / resource-name-ext (an atom)
    // resource-limit = number64
    mutating func parseSetQuota() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let root = try parseAString()
        try expectSpace()
        try expect(UInt8(ascii: "("), "\"(\" before the resource limits")
        var limits: [IMAPQuotaResourceLimit] = []
        if !consume(UInt8(ascii: ")")) {
            repeat {
                let resource = try parseAtom().uppercased()
                try expectSpace()
                limits.append(IMAPQuotaResourceLimit(resource: resource, limit: try parseNumber64()))
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the resource limits")
        }
        return .quota(.setQuota(root: root, limits: limits))
    }
}
