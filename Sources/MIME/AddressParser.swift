/// Parses RFC 5322 §3.4 address lists leniently: groups, display names, comments as names,
/// obsolete source routes (RFC 5322 §4.4) and missing parts. Never traps.
///
/// RFC 3501 §7.4.2: a missing local part or domain is filled in so that clients still see an
/// address; names are the raw phrase (quotes removed, RFC 2047 words kept as written).
public enum AddressParser {
    /// Placeholder for an address without a local part.
    public static let missingMailbox: [UInt8] = Array("MISSING_MAILBOX".utf8)
    /// Placeholder for an address without a domain.
    public static let missingDomain: [UInt8] = Array("MISSING_DOMAIN".utf8)
    /// Placeholder domain for an angle address without its closing `>`.
    public static let syntaxError: [UInt8] = Array("SYNTAX_ERROR".utf8)

    /// RFC 5322 §3.4 `address-list = (address *("," address)) / obs-addr-list`
    /// (RFC 5322 §4.4: empty elements between commas are skipped).
    ///
    /// On a syntax error the list ends there, as in Dovecot: an address that cannot start becomes
    /// `MISSING_MAILBOX@MISSING_DOMAIN`, an unclosed `<` gets the domain `SYNTAX_ERROR`, and text
    /// after a complete address that is not a comma ends the list.
    public static func parse(_ value: [UInt8]) -> [AddressListEntry] {
        var lexer = HeaderLexer(value)
        var entries: [AddressListEntry] = []
        while !lexer.atEnd {
            lexer.skipCFWS()
            if lexer.peekIs(",") {
                lexer.pos += 1
                continue
            }
            if lexer.atEnd { break }
            let before = lexer.pos
            let (entry, ok) = address(&lexer, inGroup: false)
            if let entry { entries.append(entry) }
            if !ok || lexer.pos == before { break }
            lexer.skipCFWS()
            if !lexer.atEnd, !lexer.peekIs(",") { break }
        }
        return entries
    }

    static let placeholder = IMAPAddress(mailbox: missingMailbox, host: missingDomain)

    /// The addresses of a list flattened the way ENVELOPE lists them (RFC 3501 §7.4.2): group start
    /// `(NIL NIL name NIL)`, its members, then the end marker `(NIL NIL NIL NIL)`.
    public static func envelopeAddresses(_ entries: [AddressListEntry]) -> [IMAPAddress] {
        var out: [IMAPAddress] = []
        for entry in entries {
            switch entry {
            case .mailbox(let a):
                out.append(a)
            case .group(let name, let members):
                out.append(IMAPAddress(mailbox: name))
                out.append(contentsOf: members)
                out.append(IMAPAddress())
            }
        }
        return out
    }

    /// A word of a phrase or local part and whether whitespace or a comment came before it.
    private struct Word {
        var text: [UInt8]
        var spaced: Bool
        var quoted: Bool
    }

    /// Collects words (atoms, quoted strings, dots) up to a delimiter, noting whether white space
    /// or a comment came before each; `lastComment` gets the last comment passed.
    private static func readWords(_ lexer: inout HeaderLexer, lastComment: inout [UInt8]?) -> [Word] {
        var words: [Word] = []
        var spaced = false
        while let b = lexer.peek {
            if lexer.skipCFWS() {
                spaced = true
                if let c = lexer.comments.last { lastComment = c }
                continue
            }
            if b == UInt8(ascii: "\"") {
                words.append(Word(text: lexer.readQuotedString(), spaced: spaced, quoted: true))
            } else if b == UInt8(ascii: ".") {
                lexer.pos += 1
                words.append(Word(text: [b], spaced: spaced, quoted: false))
            } else if ByteClass.isAtext(b) {
                words.append(Word(text: lexer.readAtom(), spaced: spaced, quoted: false))
            } else {
                break
            }
            spaced = false
        }
        return words
    }

    /// RFC 5322 §3.4 `address = mailbox / group`, `mailbox = name-addr / addr-spec`,
    /// `group = display-name ":" [group-list] ";"`.
    /// Returns the entry (nil for an empty element) and false on a syntax error.
    private static func address(_ lexer: inout HeaderLexer, inGroup: Bool) -> (AddressListEntry?, Bool) {
        var lastComment: [UInt8]?
        let words = readWords(&lexer, lastComment: &lastComment)
        let next = lexer.peek
        if next == UInt8(ascii: ":"), !inGroup {
            // RFC 5322 §3.4 group.
            lexer.pos += 1
            var members: [IMAPAddress] = []
            var ok = true
            while !lexer.atEnd {
                lexer.skipCFWS()
                if lexer.peekIs(";") { lexer.pos += 1; break }
                if lexer.peekIs(",") { lexer.pos += 1; continue }
                if lexer.atEnd { break }
                let before = lexer.pos
                let (entry, memberOK) = address(&lexer, inGroup: true)
                if case .mailbox(let m)? = entry { members.append(m) }
                lexer.skipCFWS()
                if !memberOK || lexer.pos == before || !(lexer.atEnd || lexer.peekIs(",") || lexer.peekIs(";")) {
                    ok = false
                    break
                }
            }
            return (.group(name: phrase(words), members: members), ok)
        }
        if lexer.sawUnterminatedQuote {
            return (.mailbox(placeholder), false)
        }
        if next == UInt8(ascii: "<") {
            // RFC 5322 §3.4 `name-addr = [display-name] angle-addr`.
            lexer.pos += 1
            var (addr, closed) = angleAddress(&lexer)
            if !words.isEmpty {
                addr.name = phrase(words)
            } else {
                lexer.skipCFWS()
                if let c = lexer.comments.last { lastComment = c }
                addr.name = lastComment
            }
            if !closed { addr.host = syntaxError }
            return (.mailbox(addr), closed)
        }
        // RFC 5322 §3.4.1 `addr-spec = local-part "@" domain`.
        if words.isEmpty, next != UInt8(ascii: "@") {
            // Nothing that can start an address: an empty element, or a syntax error.
            if next == nil || next == UInt8(ascii: ",") || (inGroup && next == UInt8(ascii: ";")) {
                return (nil, true)
            }
            return (.mailbox(placeholder), false)
        }
        var addr = IMAPAddress()
        addr.mailbox = localPart(words)
        if next == UInt8(ascii: "@") {
            lexer.pos += 1
            addr.host = domain(&lexer)
        }
        lexer.skipCFWS()
        if let c = lexer.comments.last { lastComment = c }
        addr.name = lastComment
        fillMissing(&addr)
        return (.mailbox(addr), true)
    }

    /// RFC 5322 §3.4 `angle-addr = [CFWS] "<" addr-spec ">" [CFWS] / obs-angle-addr`,
    /// RFC 5322 §4.4 `obs-angle-addr = [CFWS] "<" obs-route addr-spec ">" [CFWS]`.
    /// Returns the address and whether the closing `>` was found.
    private static func angleAddress(_ lexer: inout HeaderLexer) -> (IMAPAddress, Bool) {
        var addr = IMAPAddress()
        lexer.skipCFWS()
        // obs-route = obs-domain-list ":"
        if lexer.peekIs("@") {
            var route: [UInt8] = []
            while lexer.peekIs("@") || lexer.peekIs(",") {
                let b = lexer.peek!
                lexer.pos += 1
                lexer.skipCFWS()
                if b == UInt8(ascii: "@") {
                    route.append(b)
                    route.append(contentsOf: domain(&lexer))
                } else if !route.isEmpty, route.last != UInt8(ascii: ",") {
                    route.append(b)
                }
                lexer.skipCFWS()
            }
            if lexer.peekIs(":") { lexer.pos += 1 }
            addr.route = route
        }
        var ignoredComment: [UInt8]?
        addr.mailbox = localPart(readWords(&lexer, lastComment: &ignoredComment))
        if lexer.peekIs("@") {
            lexer.pos += 1
            addr.host = domain(&lexer)
        }
        // Skip to the closing bracket.
        var closed = false
        while let b = lexer.peek {
            lexer.pos += 1
            if b == UInt8(ascii: ">") { closed = true; break }
        }
        fillMissing(&addr)
        return (addr, closed)
    }

    /// RFC 5322 §3.4.1 `domain = dot-atom / domain-literal / obs-domain`.
    private static func domain(_ lexer: inout HeaderLexer) -> [UInt8] {
        lexer.skipCFWS()
        if lexer.peekIs("[") {
            return lexer.readDomainLiteral()
        }
        var out: [UInt8] = []
        while let b = lexer.peek {
            if b == UInt8(ascii: ".") {
                out.append(b)
                lexer.pos += 1
            } else if ByteClass.isAtext(b) {
                out.append(contentsOf: lexer.readAtom())
            } else if ByteClass.isWhitespace(b) || b == UInt8(ascii: "(") {
                // obs-domain allows CFWS between the atoms and dots.
                let save = lexer.pos
                lexer.skipCFWS()
                let afterDot = out.last == UInt8(ascii: ".") && (lexer.peek.map(ByteClass.isAtext) ?? false)
                if !lexer.peekIs("."), !afterDot {
                    // The domain ended; leave the CFWS (a comment may be the name) to the caller.
                    lexer.pos = save
                    break
                }
            } else {
                break
            }
        }
        return out
    }

    /// RFC 5322 §3.2.5 `phrase = 1*word / obs-phrase`: words joined by one space where the
    /// message had whitespace between them.
    private static func phrase(_ words: [Word]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, w) in words.enumerated() {
            if i > 0, w.spaced { out.append(ByteClass.space) }
            out.append(contentsOf: w.text)
        }
        return out
    }

    /// RFC 5322 §3.4.1 `local-part = dot-atom / quoted-string / obs-local-part` as written, without
    /// whitespace or comments.
    private static func localPart(_ words: [Word]) -> [UInt8] {
        var out: [UInt8] = []
        for w in words { out.append(contentsOf: w.text) }
        return out
    }

    private static func fillMissing(_ addr: inout IMAPAddress) {
        if addr.mailbox?.isEmpty ?? true { addr.mailbox = missingMailbox }
        if addr.host?.isEmpty ?? true { addr.host = missingDomain }
    }
}
