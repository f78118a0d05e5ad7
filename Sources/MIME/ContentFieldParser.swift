/// Parsers for the MIME content fields (RFC 2045 §5, §6; RFC 2183; RFC 3282; RFC 2231).
/// Lenient: anything unparseable yields nil or stops the parameter list; nothing traps.
public enum ContentFieldParser {
    /// RFC 2045 §5.1 `content := "Content-Type" ":" type "/" subtype *(";" parameter)`.
    /// Returns nil when there is no `type "/" subtype` or something other than parameters follows it.
    public static func contentType(_ value: [UInt8]) -> (type: [UInt8], subtype: [UInt8], parameters: [MIMEParameter])? {
        var lexer = HeaderLexer(value)
        lexer.skipCFWS()
        let type = lexer.readToken()
        lexer.skipCFWS()
        guard !type.isEmpty, lexer.peekIs("/") else { return nil }
        lexer.pos += 1
        lexer.skipCFWS()
        let subtype = lexer.readToken()
        lexer.skipCFWS()
        // Anything but parameters after the subtype makes the field invalid (RFC 2045 §5.2: then the
        // defaults apply).
        guard !subtype.isEmpty, lexer.atEnd || lexer.peekIs(";") else { return nil }
        return (type, subtype, parameters(&lexer))
    }

    /// RFC 2183 §2 `disposition := "Content-Disposition" ":" disposition-type *(";" disposition-parm)`.
    public static func disposition(_ value: [UInt8]) -> (type: [UInt8], parameters: [MIMEParameter])? {
        var lexer = HeaderLexer(value)
        lexer.skipCFWS()
        let type = lexer.readToken()
        guard !type.isEmpty else { return nil }
        return (type, parameters(&lexer))
    }

    /// RFC 2045 §6.1 `encoding := "Content-Transfer-Encoding" ":" mechanism`, as written.
    /// Returns nil when the value is not a single token.
    public static func transferEncoding(_ value: [UInt8]) -> [UInt8]? {
        var lexer = HeaderLexer(value)
        lexer.skipCFWS()
        let token = lexer.readToken()
        lexer.skipCFWS()
        guard !token.isEmpty, lexer.atEnd else { return nil }
        return token
    }

    /// RFC 3282 §2 `Content-Language: Language-List`, `Language-List = Language-Tag [CFWS] *("," [CFWS] Language-Tag [CFWS])`.
    public static func languages(_ value: [UInt8]) -> [[UInt8]] {
        var lexer = HeaderLexer(value)
        var out: [[UInt8]] = []
        while !lexer.atEnd {
            lexer.skipCFWS()
            if lexer.peekIs(",") { lexer.pos += 1; continue }
            let tag = lexer.readToken()
            if tag.isEmpty {
                if !lexer.atEnd { lexer.pos += 1 }
                continue
            }
            out.append(tag)
        }
        return out
    }

    /// RFC 2045 §5.1 `parameter := attribute "=" value`, `value := token / quoted-string`, then
    /// RFC 2231 §3 continuations (`name*0`, `name*1*`...) joined in order. An extended first segment
    /// gives `name*` with the still-encoded value, as Dovecot 2.3 does.
    static func parameters(_ lexer: inout HeaderLexer) -> [MIMEParameter] {
        var raw: [MIMEParameter] = []
        while true {
            lexer.skipCFWS()
            guard lexer.peekIs(";") else { break }
            lexer.pos += 1
            lexer.skipCFWS()
            if lexer.atEnd { break }
            if lexer.peekIs(";") { continue }
            let name = lexer.readToken()
            lexer.skipCFWS()
            guard !name.isEmpty, lexer.peekIs("=") else {
                // Not `attribute "="`: skip this parameter up to the next ";".
                skipParameter(&lexer)
                continue
            }
            lexer.pos += 1
            lexer.skipCFWS()
            let value: [UInt8]
            if lexer.peekIs("\"") {
                value = lexer.readQuotedString()
            } else {
                value = lexer.readToken()
            }
            raw.append(MIMEParameter(name: name, value: value))
            lexer.skipCFWS()
            if !lexer.atEnd, !lexer.peekIs(";") { skipParameter(&lexer) }
        }
        return joinContinuations(raw)
    }

    /// Moves to the next `;` outside quoted strings and comments (or the end).
    static func skipParameter(_ lexer: inout HeaderLexer) {
        while let b = lexer.peek, b != UInt8(ascii: ";") {
            if b == UInt8(ascii: "\"") {
                _ = lexer.readQuotedString()
            } else if b == UInt8(ascii: "(") {
                _ = lexer.readComment()
            } else {
                lexer.pos += 1
            }
        }
    }

    /// RFC 2231 §3: `name*N` / `name*N*` segments become one parameter at the first segment's place.
    static func joinContinuations(_ params: [MIMEParameter]) -> [MIMEParameter] {
        struct Segment { var index: Int; var extended: Bool; var value: [UInt8] }
        var out: [MIMEParameter] = []
        var pending: [(base: [UInt8], slot: Int, segments: [Segment])] = []
        for p in params {
            if let (base, index, extended) = continuation(p.name) {
                if let k = pending.firstIndex(where: { $0.base == base }) {
                    pending[k].segments.append(Segment(index: index, extended: extended, value: p.value))
                } else {
                    pending.append((base, out.count, [Segment(index: index, extended: extended, value: p.value)]))
                    out.append(p)  // placeholder
                }
            } else {
                out.append(p)
            }
        }
        for entry in pending {
            let segments = entry.segments.sorted { $0.index < $1.index }
            let extended = segments.first?.extended ?? false
            var value: [UInt8] = []
            for s in segments { value.append(contentsOf: s.value) }
            out[entry.slot] = MIMEParameter(name: extended ? entry.base + [UInt8(ascii: "*")] : entry.base, value: value)
        }
        return out
    }

    /// RFC 2231 §3 `name "*" section ["*"]` → (name, section, extended).
    static func continuation(_ name: [UInt8]) -> ([UInt8], Int, Bool)? {
        guard let star = name.firstIndex(of: UInt8(ascii: "*")), star > 0 else { return nil }
        var rest = Array(name[(star + 1)...])
        var extended = false
        if rest.last == UInt8(ascii: "*") {
            extended = true
            rest.removeLast()
        }
        guard !rest.isEmpty, rest.count <= 4, rest.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        let index = rest.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return (Array(name[..<star]), index, extended)
    }
}
