/// Message IDs as RFC 5256 §3 REFERENCES compares them: the `msg-id`s of a Message-ID,
/// References or In-Reply-To value (RFC 5322 §3.6.4), normalised.
///
/// `msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]`. Normalising (RFC 5256 §3: "the actual text
/// may use quoting") drops whitespace and the quotes of a quoted id-left, and keeps `id-left@id-right`
/// without the brackets; comparison is then byte for byte (case-sensitive, RFC 5256 §3 step 1A).
/// Comments between IDs are skipped; text that is not a msg-id (In-Reply-To's obsolete phrases,
/// RFC 5322 §4.5.4) is ignored. An ID without "@" or with an empty side is not valid.
enum IMAPMessageIDs {
    /// Every valid ID, in order.
    static func all(in value: [UInt8]) -> [[UInt8]] {
        var ids: [[UInt8]] = []
        var i = 0
        while i < value.count {
            let b = value[i]
            if b == UInt8(ascii: "(") {
                i = afterComment(value, at: i)
            } else if b == UInt8(ascii: "\"") {
                i = afterQuoted(value, at: i)  // a quoted phrase of an obsolete In-Reply-To
            } else if b == UInt8(ascii: "<") {
                let (id, end) = messageID(value, at: i)
                if let id { ids.append(id) }
                i = end
            } else {
                i += 1
            }
        }
        return ids
    }

    /// The first valid ID, if any.
    static func first(in value: [UInt8]) -> [UInt8]? {
        all(in: value).first
    }

    /// The msg-id opening at `start` ("<"): its normalised form (nil when invalid) and the index after it.
    static func messageID(_ value: [UInt8], at start: Int) -> ([UInt8]?, Int) {
        var id: [UInt8] = []
        var i = start + 1
        while i < value.count {
            let b = value[i]
            switch b {
            case UInt8(ascii: ">"):
                return (isValid(id) ? id : nil, i + 1)
            case UInt8(ascii: "<"):
                return (nil, i)  // a new msg-id starts: this one was never closed
            case UInt8(ascii: "\""):
                // A quoted id-left: its content without the quotes, quoted-pairs unescaped.
                i += 1
                while i < value.count, value[i] != UInt8(ascii: "\"") {
                    if value[i] == UInt8(ascii: "\\"), i + 1 < value.count { i += 1 }
                    id.append(value[i])
                    i += 1
                }
                i += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                i += 1
            default:
                id.append(b)
                i += 1
            }
        }
        return (nil, i)
    }

    static func isValid(_ id: [UInt8]) -> Bool {
        guard let at = id.lastIndex(of: UInt8(ascii: "@")) else { return false }
        return at > 0 && at < id.count - 1
    }

    /// The index after a (possibly nested) comment opening at `start`.
    static func afterComment(_ value: [UInt8], at start: Int) -> Int {
        var depth = 0
        var i = start
        while i < value.count {
            switch value[i] {
            case UInt8(ascii: "\\"): i += 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
            i += 1
        }
        return value.count
    }

    static func afterQuoted(_ value: [UInt8], at start: Int) -> Int {
        var i = start + 1
        while i < value.count, value[i] != UInt8(ascii: "\"") {
            if value[i] == UInt8(ascii: "\\") { i += 1 }
            i += 1
        }
        return i + 1
    }
}
