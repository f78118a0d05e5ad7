/// Finds the end of one IMAP line incrementally, remembering how far it has looked, and
/// notices a literal announcement `{n}` / `{n+}` right before CRLF (RFC 3501 §4.3,
/// RFC 7888 §3), or a literal8 `~{n}` / `~{n+}` (RFC 3516 §4.4), outside quoted strings.
/// Accepts a bare LF as a line end.
struct IMAPLineScanner: Sendable {
    /// A literal announced at the end of a line.
    struct Announcement: Sendable, Equatable {
        /// nil when the digits do not fit a number (the input cannot be resynchronised).
        var size: Int?
        var synchronizing: Bool
        /// Where the `{` (the `~` of a literal8) is, from the start of the line.
        var offset: Int
        /// A literal8 `~{n}` (RFC 3516 §4.4): it may hold NUL octets.
        var binary = false
    }

    struct Line: Sendable, Equatable {
        /// Bytes before CR LF (or the bare LF).
        var contentLength: Int
        /// Bytes including the line end.
        var totalLength: Int
        var literal: Announcement?
    }

    private enum Brace: Sendable {
        case none
        case digits(size: Int?, count: Int, offset: Int)
        case plus(size: Int?, offset: Int)
        case closed(size: Int?, synchronizing: Bool, offset: Int)
        case closedCR(size: Int?, synchronizing: Bool, offset: Int)
    }

    /// Bytes of the current line looked at so far.
    private(set) var scanned = 0
    private var inQuote = false
    private var escaped = false
    private var lastWasCR = false
    private var brace = Brace.none
    private var lastWasTilde = false
    /// Whether the brace being read follows a `~`.
    private var braceIsBinary = false

    /// Sizes at or above this count as "does not fit" (no arithmetic overflow, ever).
    static let sizeCeiling = 1 << 53

    /// The bytes looked at so far were consumed: keep the state, count from zero.
    mutating func forget() {
        scanned = 0
    }

    mutating func reset() {
        self = IMAPLineScanner()
    }

    /// Feeds one byte; returns the line when this byte ended it (and resets for the next).
    mutating func feed(_ byte: UInt8) -> Line? {
        let position = scanned
        scanned += 1
        if byte == UInt8(ascii: "\n") {
            var literal: Announcement?
            switch brace {
            case .closed(let size, let synchronizing, let offset), .closedCR(let size, let synchronizing, let offset):
                literal = braceIsBinary
                    ? Announcement(size: size, synchronizing: synchronizing, offset: offset - 1, binary: true)
                    : Announcement(size: size, synchronizing: synchronizing, offset: offset)
            default: break
            }
            let line = Line(contentLength: position - (lastWasCR ? 1 : 0), totalLength: scanned, literal: literal)
            reset()
            return line
        }
        lastWasCR = byte == UInt8(ascii: "\r")
        let afterTilde = lastWasTilde
        lastWasTilde = false
        if inQuote {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuote = false
            }
            return nil
        }
        switch (byte, brace) {
        case (UInt8(ascii: "\""), _):
            inQuote = true
            brace = .none
        case (UInt8(ascii: "{"), _):
            brace = .digits(size: 0, count: 0, offset: position)
            braceIsBinary = afterTilde
        case (UInt8(ascii: "0")...UInt8(ascii: "9"), .digits(let size, let count, let offset)):
            var next: Int?
            if let size, size < Self.sizeCeiling / 10 {
                next = size * 10 + Int(byte - UInt8(ascii: "0"))
            }
            brace = .digits(size: next, count: count + 1, offset: offset)
        case (UInt8(ascii: "+"), .digits(let size, let count, let offset)) where count > 0:
            brace = .plus(size: size, offset: offset)
        case (UInt8(ascii: "}"), .digits(let size, let count, let offset)) where count > 0:
            brace = .closed(size: size, synchronizing: true, offset: offset)
        case (UInt8(ascii: "}"), .plus(let size, let offset)):
            brace = .closed(size: size, synchronizing: false, offset: offset)
        case (UInt8(ascii: "\r"), .closed(let size, let synchronizing, let offset)):
            brace = .closedCR(size: size, synchronizing: synchronizing, offset: offset)
        default:
            brace = .none
            lastWasTilde = byte == UInt8(ascii: "~")
        }
        return nil
    }
}
