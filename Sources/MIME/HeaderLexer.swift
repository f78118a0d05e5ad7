/// A cursor over an unfolded structured header value (RFC 5322 §3.2, RFC 2045 §5.1).
/// Every method stops at the end of the input; none traps.
struct HeaderLexer {
    let bytes: [UInt8]
    var pos: Int = 0
    /// Comments seen by the last `skipCFWS`, contents without the outer parentheses.
    var comments: [[UInt8]] = []
    /// Set when a quoted string ran to the end of the input without its closing quote.
    var sawUnterminatedQuote = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { pos >= bytes.count }
    var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    func peekIs(_ c: Character) -> Bool {
        guard let p = peek, let a = c.asciiValue else { return false }
        return p == a
    }

    /// RFC 5322 §3.2.2 `CFWS`; returns true when anything was skipped. Comments are collected.
    @discardableResult
    mutating func skipCFWS() -> Bool {
        let start = pos
        comments = []
        while let b = peek {
            if ByteClass.isWhitespace(b) {
                pos += 1
            } else if b == UInt8(ascii: "(") {
                comments.append(readComment())
            } else {
                break
            }
        }
        return pos != start
    }

    /// RFC 5322 §3.2.2 `comment`; nested comments stay in the text, quoted-pairs are unescaped.
    mutating func readComment() -> [UInt8] {
        var out: [UInt8] = []
        var depth = 0
        while let b = peek {
            pos += 1
            if b == UInt8(ascii: "\\") {
                if let n = peek { out.append(n); pos += 1 }
                continue
            }
            if b == UInt8(ascii: "(") {
                depth += 1
                if depth == 1 { continue }
            } else if b == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { return out }
            }
            out.append(b)
        }
        return out
    }

    /// RFC 5322 §3.2.4 `quoted-string` contents, quoted-pairs unescaped. Expects `pos` at the quote.
    mutating func readQuotedString() -> [UInt8] {
        var out: [UInt8] = []
        pos += 1
        while let b = peek {
            pos += 1
            if b == UInt8(ascii: "\\") {
                if let n = peek { out.append(n); pos += 1 }
                continue
            }
            if b == UInt8(ascii: "\"") { return out }
            out.append(b)
        }
        sawUnterminatedQuote = true
        return out
    }

    /// RFC 5322 §3.2.3 `atom` (without CFWS).
    mutating func readAtom() -> [UInt8] {
        let start = pos
        while let b = peek, ByteClass.isAtext(b) { pos += 1 }
        return Array(bytes[start..<pos])
    }

    /// RFC 2045 §5.1 `token`.
    mutating func readToken() -> [UInt8] {
        let start = pos
        while let b = peek, ByteClass.isTokenByte(b) { pos += 1 }
        return Array(bytes[start..<pos])
    }

    /// RFC 5322 §3.4.1 `domain-literal`, brackets kept. Expects `pos` at `[`.
    mutating func readDomainLiteral() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        pos += 1
        while let b = peek {
            pos += 1
            if b == UInt8(ascii: "\\") {
                if let n = peek { out.append(n); pos += 1 }
                continue
            }
            if ByteClass.isWhitespace(b) { continue }
            out.append(b)
            if b == UInt8(ascii: "]") { break }
        }
        return out
    }
}
