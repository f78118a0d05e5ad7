import NIOCore

extension IMAPGrammarParser {
    // command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF
    // command-any = "CAPABILITY" / "LOGOUT" / "NOOP" / x-command / id
    // command-auth = append / create / delete / examine / list / lsub / rename / select / status /
    //                subscribe / unsubscribe / idle / enable / namespace / compress
    // command-nonauth = login / authenticate / "STARTTLS"
    // command-select = "CHECK" / "CLOSE" / "UNSELECT" / "EXPUNGE" / copy / move / fetch / store / uid / search
    /// Parses one complete command after its tag; APPEND never gets here (it is streamed).
    mutating func parseCommand(tag: String) throws(IMAPParseError) -> IMAPCommand {
        try expectSpace()
        let name = try parseKeyword()
        let kind: IMAPCommand.Kind
        switch name {
        case "CAPABILITY": kind = .capability
        case "NOOP": kind = .noop
        case "LOGOUT": kind = .logout
        case "STARTTLS": kind = .starttls
        case "AUTHENTICATE": kind = try parseAuthenticate()
        case "LOGIN": kind = try parseLogin()
        case "ENABLE": kind = try parseEnable()
        case "ID": kind = try parseID()
        case "NAMESPACE": kind = .namespace
        case "SELECT":
            try expectSpace()
            kind = .select(try parseMailbox(), parameters: try parseOptionalParameters())
        case "EXAMINE":
            try expectSpace()
            kind = .examine(try parseMailbox(), parameters: try parseOptionalParameters())
        case "CREATE":
            try expectSpace()
            kind = .create(try parseMailbox(), parameters: try parseOptionalParameters())
        case "DELETE":
            try expectSpace()
            kind = .delete(try parseMailbox())
        case "RENAME":
            // rename = "RENAME" SP mailbox SP mailbox [rename-params]
            try expectSpace()
            let from = try parseMailbox()
            try expectSpace()
            kind = .rename(from: from, to: try parseMailbox(), parameters: try parseOptionalParameters())
        case "SUBSCRIBE":
            try expectSpace()
            kind = .subscribe(try parseMailbox())
        case "UNSUBSCRIBE":
            try expectSpace()
            kind = .unsubscribe(try parseMailbox())
        case "LIST": kind = .list(try parseList())
        case "LSUB":
            // lsub = "LSUB" SP mailbox SP list-mailbox
            try expectSpace()
            let reference = try parseMailbox()
            try expectSpace()
            kind = .lsub(reference: reference, pattern: try parseListMailbox())
        case "STATUS": kind = try parseStatus()
        case "APPEND": throw fail("APPEND needs a message literal")
        case "CHECK": kind = .check
        case "CLOSE": kind = .close
        case "UNSELECT": kind = .unselect
        case "EXPUNGE": kind = .expunge
        case "UID": kind = try parseUID()
        case "SEARCH": kind = try parseSearch(uid: false)
        case "SORT": kind = try parseSort(uid: false)
        case "THREAD": kind = try parseThread(uid: false)
        case "FETCH": kind = try parseFetch(uid: false)
        case "STORE": kind = try parseStore(uid: false)
        case "COPY": kind = try parseCopyOrMove(uid: false, move: false)
        case "MOVE": kind = try parseCopyOrMove(uid: false, move: true)
        case "IDLE": kind = .idle
        case "COMPRESS":
            // compress = "COMPRESS" SP algorithm   (RFC 4978 §5); algorithm = atom
            try expectSpace()
            kind = .compress(try parseAtom().uppercased())
        case "GETQUOTA": kind = try parseGetQuota()
        case "GETQUOTAROOT": kind = try parseGetQuotaRoot()
        case "SETQUOTA": kind = try parseSetQuota()
        case "GETMETADATA": kind = try parseGetMetadata()
        case "SETMETADATA": kind = try parseSetMetadata()
        case "NOTIFY": kind = try parseNotify()
        default: throw IMAPParseError(.unknownCommand, "Unknown command \(name.prefix(40))")
        }
        try expectEnd()
        return IMAPCommand(tag: tag, kind)
    }

    // authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]   (RFC 4959 §7)
    // auth-type = atom
    // base64 = *(4base64-char) [base64-terminal]
    mutating func parseAuthenticate() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let mechanism = try parseAtom().uppercased()
        guard consume(Self.space) else { return .authenticate(mechanism: mechanism, initialResponse: nil) }
        if consume(UInt8(ascii: "=")) { return .authenticate(mechanism: mechanism, initialResponse: .empty) }
        let text = readWhile { Self.isAlpha($0) || Self.isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") }
        let padding = readWhile { $0 == UInt8(ascii: "=") }
        guard !text.isEmpty, (text.count + padding.count) % 4 == 0, padding.count <= 2 else {
            throw fail("Invalid base64 initial response")
        }
        return .authenticate(mechanism: mechanism, initialResponse: .base64(String(decoding: text + padding, as: UTF8.self)))
    }

    // login = "LOGIN" SP userid SP password
    // userid = astring
    // password = astring
    mutating func parseLogin() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let user = try parseAString()
        try expectSpace()
        return .login(user: user, password: try parseAString())
    }

    // enable = "ENABLE" 1*(SP capability)   (RFC 5161 §4)
    // capability = ("AUTH=" auth-type) / atom
    mutating func parseEnable() throws(IMAPParseError) -> IMAPCommand.Kind {
        var capabilities: [String] = []
        while consume(Self.space) {
            capabilities.append(try parseAtom())
        }
        guard !capabilities.isEmpty else { throw fail("ENABLE needs at least one capability") }
        return .enable(capabilities)
    }

    // id = "ID" SP id-params-list   (RFC 2971 §4)
    // id-params-list = "(" *(string SP nstring) ")" / nil
    //   (RFC 2971's ABNF has no separators between pairs; every client sends SP between them)
    mutating func parseID() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        guard consume(UInt8(ascii: "(")) else {
            guard try parseAtom().uppercased() == "NIL" else { throw fail("Expected a parameter list or NIL") }
            return .id(nil)
        }
        var parameters: [IMAPIDParameter] = []
        if consume(UInt8(ascii: ")")) { return .id(parameters) }
        repeat {
            let key = try parseString()
            try expectSpace()
            parameters.append(IMAPIDParameter(key: key, value: try parseNString()))
            guard parameters.count <= 30 else { throw fail("More than 30 ID fields") }  // RFC 2971 §3.3
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the ID fields")
        return .id(parameters)
    }

    // status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
    // status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" / "DELETED" / "SIZE" / "HIGHESTMODSEQ"
    //              / "DELETED-STORAGE"   (RFC 9208 §4.2)
    mutating func parseStatus() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let mailbox = try parseMailbox()
        try expectSpace()
        return .status(mailbox, try parseStatusAttributes())
    }

    mutating func parseStatusAttributes() throws(IMAPParseError) -> [IMAPStatusAttribute] {
        try expect(UInt8(ascii: "("), "\"(\" before the status items")
        var attributes: [IMAPStatusAttribute] = []
        repeat {
            let name = try parseKeyword()
            guard let attribute = IMAPStatusAttribute(rawValue: name) else { throw fail("Unknown status item \(name)") }
            attributes.append(attribute)
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the status items")
        return attributes
    }

    // uid = "UID" SP (copy / move / fetch / search / store / uid-expunge / sort / thread)
    // uid-expunge = "EXPUNGE" SP sequence-set   (RFC 4315 §2.1)
    mutating func parseUID() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let name = try parseKeyword()
        switch name {
        case "SEARCH": return try parseSearch(uid: true)
        case "SORT": return try parseSort(uid: true)
        case "THREAD": return try parseThread(uid: true)
        case "FETCH": return try parseFetch(uid: true)
        case "STORE": return try parseStore(uid: true)
        case "COPY": return try parseCopyOrMove(uid: true, move: false)
        case "MOVE": return try parseCopyOrMove(uid: true, move: true)
        case "EXPUNGE":
            try expectSpace()
            return .uidExpunge(try parseSequenceSet())
        default: throw fail("Unknown UID command \(name.prefix(40))")
        }
    }

    // copy = "COPY" SP sequence-set SP mailbox
    // move = "MOVE" SP sequence-set SP mailbox   (RFC 6851 §3.1)
    mutating func parseCopyOrMove(uid: Bool, move: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let set = try parseSequenceSet()
        try expectSpace()
        let mailbox = try parseMailbox()
        return move ? .move(set, mailbox, uid: uid) : .copy(set, mailbox, uid: uid)
    }

    // store = "STORE" SP sequence-set SP store-att-flags
    // store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
    // store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags       (RFC 4466 §2.5)
    // store-modifiers = SP "(" store-modifier *(SP store-modifier) ")"
    // store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer                   (RFC 7162 §7)
    mutating func parseStore(uid: Bool) throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        let set = try parseSequenceSet()
        try expectSpace()
        var unchangedSince: UInt64?
        if consume(UInt8(ascii: "(")) {
            repeat {
                let name = try parseKeyword()
                guard name == "UNCHANGEDSINCE" else { throw fail("Unknown store modifier \(name.prefix(40))") }
                try expectSpace()
                unchangedSince = try parseNumber64()
            } while consume(Self.space)
            try expect(UInt8(ascii: ")"), "\")\" after the store modifiers")
            try expectSpace()
        }
        let mode: IMAPStoreAction.Mode =
            if consume(UInt8(ascii: "+")) { .add } else if consume(UInt8(ascii: "-")) { .remove } else { .replace }
        let silent: Bool
        switch try parseKeyword() {
        case "FLAGS": silent = false
        case "FLAGS.SILENT": silent = true
        default: throw fail("Expected FLAGS or FLAGS.SILENT")
        }
        try expectSpace()
        var flags: [IMAPFlag] = []
        if peek() == UInt8(ascii: "(") {
            flags = try parseFlagList()
        } else {
            repeat {
                flags.append(try parseFlag())
            } while consume(Self.space)
        }
        return .store(set, IMAPStoreAction(mode: mode, silent: silent, flags: flags), uid: uid, unchangedSince: unchangedSince)
    }

    // select-params = SP "(" select-param *(SP select-param) ")"          (RFC 4466 §2.1)
    // create-params = SP "(" create-param *( SP create-param) ")"
    // rename-params = SP "(" rename-param *( SP rename-param) ")"
    // select-param = select-param-name [SP select-param-value]
    // select-param-name = tagged-ext-label
    // select-param-value = tagged-ext-val
    mutating func parseOptionalParameters() throws(IMAPParseError) -> [IMAPParameter] {
        guard consume(Self.space) else { return [] }
        try expect(UInt8(ascii: "("), "\"(\" before the parameters")
        var parameters: [IMAPParameter] = []
        repeat {
            let name = try parseTaggedLabel()
            var value: IMAPTaggedValue?
            if consume(Self.space) {
                value = try parseTaggedValue()
            }
            parameters.append(IMAPParameter(name: name, value: value))
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the parameters")
        return parameters
    }

    // tagged-ext-label = tagged-label-fchar *tagged-label-char
    // tagged-label-fchar = ALPHA / "-" / "_" / "."
    // tagged-label-char = tagged-label-fchar / DIGIT / ":"
    mutating func parseTaggedLabel() throws(IMAPParseError) -> String {
        guard let first = peek(), Self.isAlpha(first) || first == UInt8(ascii: "-") || first == UInt8(ascii: "_") || first == UInt8(ascii: ".")
        else { throw fail("Expected a parameter name") }
        let bytes = readWhile {
            Self.isAlpha($0) || Self.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: ":")
        }
        return String(decoding: bytes, as: UTF8.self).uppercased()
    }

    // tagged-ext-val = tagged-ext-simple / "(" [tagged-ext-comp] ")"
    // tagged-ext-simple = sequence-set / number / number64
    // tagged-ext-comp = astring / tagged-ext-comp *(SP tagged-ext-comp) / "(" tagged-ext-comp ")"
    //   (a "\" atom is accepted in tagged-ext-comp too, for CREATE's USE (\Sent), RFC 6154 §3)
    mutating func parseTaggedValue() throws(IMAPParseError) -> IMAPTaggedValue {
        if peek() == UInt8(ascii: "(") { return try parseTaggedComponentList() }
        let bytes = readWhile { Self.isDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "*") }
        guard !bytes.isEmpty else { throw fail("Expected a number, a sequence set or a list") }
        return .simple(String(decoding: bytes, as: UTF8.self))
    }

    private mutating func parseTaggedComponentList() throws(IMAPParseError) -> IMAPTaggedValue {
        try nested { (parser: inout Self) throws(IMAPParseError) -> IMAPTaggedValue in
            try parser.expect(UInt8(ascii: "("), "\"(\"")
            var items: [IMAPTaggedValue] = []
            if parser.consume(UInt8(ascii: ")")) { return .list(items) }
            repeat {
                if parser.peek() == UInt8(ascii: "(") {
                    items.append(try parser.parseTaggedComponentList())
                } else if parser.consume(Self.backslash) {
                    items.append(.string([Self.backslash] + Array(try parser.parseAtom().utf8)))
                } else {
                    items.append(.string(try parser.parseAString()))
                }
            } while parser.consume(Self.space)
            try parser.expect(UInt8(ascii: ")"), "\")\"")
            return .list(items)
        }
    }

    // append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal
    /// Parses an APPEND command up to (not including) its message literal. `buffer` ends where
    /// the literal's `{` was. Returns nil when the command is not APPEND or the literal is not
    /// the message (the mailbox name still missing: then the literal is the mailbox).
    mutating func parseAppendPrefix() throws(IMAPParseError) -> (tag: String, mailbox: IMAPMailboxName, options: IMAPAppendOptions)? {
        guard let tag = try? parseTag(), consume(Self.space), (try? parseKeyword()) == "APPEND", consume(Self.space),
            !isAtEnd
        else { return nil }
        let mailbox = try parseMailbox()
        try expectSpace()
        return (tag, mailbox, try parseAppendOptions(before: "the message literal"))
    }

    /// `append-opts` (RFC 3502 §6), each followed by SP, up to the literal, which must come next:
    /// the buffer ends where its `{` (or `~{`) is. After ENABLE UTF8=ACCEPT the literal may be
    /// wrapped: `append-data =/ "UTF8" SP "(" literal8 ")"` (RFC 9755 §4).
    mutating func parseAppendOptions(before literal: String) throws(IMAPParseError) -> IMAPAppendOptions {
        var options = IMAPAppendOptions()
        if peek() == UInt8(ascii: "(") {
            options.flags = try parseFlagList()
            try expectSpace()
        }
        if peek() == Self.dquote {
            options.date = try parseDateTime()
            try expectSpace()
        }
        if !isAtEnd, let first = peek(), Self.isAlpha(first) {
            guard try parseKeyword() == "UTF8" else { throw fail("Expected \(literal)") }
            guard configuration.utf8Accepted else {
                throw fail("APPEND ... UTF8 (...) needs ENABLE UTF8=ACCEPT first (RFC 9755 section 4)")
            }
            try expectSpace()
            try expect(UInt8(ascii: "("), "\"(\" after UTF8")
            options.utf8 = true
        }
        guard isAtEnd else { throw fail("Expected \(literal)") }
        return options
    }
}
