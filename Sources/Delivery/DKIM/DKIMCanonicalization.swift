/// The "relaxed" canonicalization of RFC 6376 for header fields (§3.4.2) and, incrementally, for the body
/// (§3.4.4), over the message as Loft transmits it: every line ends in CRLF (a bare LF is sent as CRLF,
/// a last line without an ending gets one; see `DotStuffer`). A CR is a line ending only right before LF.
enum DKIMRelaxedHeader {
    /// RFC 6376 §3.4.2 of one header field given as its lines joined by CRLF (no final CRLF): the name in
    /// lower case, unfolded, runs of WSP made one SP, WSP at the ends of the value and around the colon
    /// removed. Ends in CRLF unless `lineEnd` is false (the DKIM-Signature field itself, §3.7).
    static func canonical(_ field: [UInt8], lineEnd: Bool = true) -> [UInt8] {
        let colon = field.firstIndex(of: UInt8(ascii: ":")) ?? field.endIndex
        var out: [UInt8] = []
        out.reserveCapacity(field.count + 2)
        for byte in field[..<colon].reversed().drop(while: isWSP).reversed() {
            out.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
        out.append(UInt8(ascii: ":"))
        var pendingSpace = false
        var valueStarted = false
        var index = colon < field.endIndex ? colon + 1 : colon
        while index < field.endIndex {
            let byte = field[index]
            index += 1
            if byte == UInt8(ascii: "\r"), index < field.endIndex, field[index] == UInt8(ascii: "\n") {
                index += 1  // unfold: the WSP after the CRLF stays and is reduced below
                continue
            }
            if isWSP(byte) {
                pendingSpace = true
                continue
            }
            // WSP after the colon and at the end of the value is dropped; a run inside becomes one SP.
            if pendingSpace, valueStarted { out.append(UInt8(ascii: " ")) }
            pendingSpace = false
            valueStarted = true
            out.append(byte)
        }
        if lineEnd { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
        return out
    }

    static func isWSP(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}

/// RFC 6376 §3.4.4 relaxed body canonicalization, fed the body in pieces of any size: WSP at line ends is
/// removed, other runs of WSP become one SP, empty lines at the end are removed, and a non-empty body ends
/// in CRLF; an empty body stays empty. Each piece returns the canonical bytes known so far.
struct DKIMRelaxedBodyCanonicalizer {
    /// Empty lines seen and not yet emitted: they count only if a non-empty line follows.
    private var pendingEmptyLines = 0
    private var pendingSpace = false
    private var lineHasContent = false
    /// A CR at the end of a piece: a line ending if the next byte is LF, content otherwise.
    private var heldCR = false

    /// The canonical bytes that `bytes` (the next piece of the body) make certain.
    mutating func append(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        for byte in bytes { consume(byte, into: &out) }
        return out
    }

    /// Ends the body: the rest of the canonical bytes (a last line without a line ending is ended).
    mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        if heldCR {
            heldCR = false
            content(UInt8(ascii: "\r"), into: &out)
        }
        if lineHasContent { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
        lineHasContent = false
        return out
    }

    private mutating func consume(_ byte: UInt8, into out: inout [UInt8]) {
        if heldCR {
            heldCR = false
            if byte == UInt8(ascii: "\n") {
                endLine(into: &out)
                return
            }
            content(UInt8(ascii: "\r"), into: &out)
        }
        switch byte {
        case UInt8(ascii: "\r"): heldCR = true
        case UInt8(ascii: "\n"): endLine(into: &out)
        case UInt8(ascii: " "), UInt8(ascii: "\t"): pendingSpace = true
        default: content(byte, into: &out)
        }
    }

    private mutating func content(_ byte: UInt8, into out: inout [UInt8]) {
        if !lineHasContent {
            for _ in 0..<pendingEmptyLines { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
            pendingEmptyLines = 0
            lineHasContent = true
        }
        if pendingSpace { out.append(UInt8(ascii: " ")) }
        pendingSpace = false
        out.append(byte)
    }

    private mutating func endLine(into out: inout [UInt8]) {
        pendingSpace = false  // WSP at the end of a line is removed
        if lineHasContent {
            out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
            lineHasContent = false
        } else {
            pendingEmptyLines += 1
        }
    }
}
