/// Decodes RFC 2047 encoded words in an unfolded header value for SEARCH, giving UTF-8.
///
/// `=?charset?Q?text?=` and `=?charset?B?text?=` (RFC 2047 §2, §4) in the charsets
/// `IMAPTransferDecoding.utf8` knows; a word in another charset, or malformed, stays as written.
/// Whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2). Other bytes are kept
/// (8-bit header text is taken as UTF-8, RFC 6532).
enum IMAPEncodedWords {
    static func decode(_ value: [UInt8]) -> [UInt8] {
        guard value.count >= 8, value.contains(UInt8(ascii: "?")) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        var whitespace: [UInt8] = []
        var afterEncodedWord = false
        var i = 0
        while i < value.count {
            let b = value[i]
            if b == UInt8(ascii: "="), let (decoded, end) = word(in: value, at: i) {
                if !afterEncodedWord { out.append(contentsOf: whitespace) }
                whitespace.removeAll()
                out.append(contentsOf: decoded)
                afterEncodedWord = true
                i = end
                continue
            }
            if b == IMAPByte.space || b == IMAPByte.tab {
                whitespace.append(b)
            } else {
                out.append(contentsOf: whitespace)
                whitespace.removeAll()
                out.append(b)
                afterEncodedWord = false
            }
            i += 1
        }
        out.append(contentsOf: whitespace)
        return out
    }

    /// RFC 2047 §2 `encoded-word = "=?" charset "?" encoding "?" encoded-text "?="` at `start`: its decoded
    /// UTF-8 and the index after it, or nil.
    static func word(in value: [UInt8], at start: Int) -> (decoded: [UInt8], end: Int)? {
        let question = UInt8(ascii: "?")
        guard start + 1 < value.count, value[start + 1] == question else { return nil }
        let charsetStart = start + 2
        guard let charsetEnd = value[charsetStart...].firstIndex(of: question), charsetEnd > charsetStart,
            charsetEnd + 2 < value.count, value[charsetEnd + 2] == question
        else { return nil }
        let encoding = IMAPByte.lower(value[charsetEnd + 1])
        let textStart = charsetEnd + 3
        var textEnd = textStart
        // encoded-text has no "?" and no whitespace; the word ends at "?=".
        while textEnd < value.count, value[textEnd] != question {
            if value[textEnd] == IMAPByte.space || value[textEnd] == IMAPByte.tab { return nil }
            textEnd += 1
        }
        guard textEnd + 1 < value.count, value[textEnd + 1] == UInt8(ascii: "=") else { return nil }
        let text = value[textStart..<textEnd]
        let raw: [UInt8]
        switch encoding {
        case UInt8(ascii: "q"): raw = IMAPTransferDecoding.quotedPrintable(text, underscoreIsSpace: true)
        case UInt8(ascii: "b"): raw = IMAPTransferDecoding.base64(text)
        default: return nil
        }
        guard let utf8 = IMAPTransferDecoding.utf8(raw, charset: value[charsetStart..<charsetEnd]) else { return nil }
        return (utf8, textEnd + 2)
    }
}
