import NIOCore

/// The grammar of one complete command, as framed by `IMAPCommandParser`: its lines with CRLF
/// and its argument literals in place, exactly as on the wire. Pure functions over a
/// `ByteBuffer`; each throws `IMAPParseError` and never reads outside the command.
struct IMAPGrammarParser {
    var buffer: ByteBuffer
    let configuration: IMAPParserConfiguration
    private var depth = 0

    init(_ buffer: ByteBuffer, configuration: IMAPParserConfiguration) {
        self.buffer = buffer
        self.configuration = configuration
    }

    // MARK: - Bytes

    static let space = UInt8(ascii: " ")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let dquote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    var isAtEnd: Bool { buffer.readableBytes == 0 }

    func peek(_ offset: Int = 0) -> UInt8? {
        buffer.getInteger(at: buffer.readerIndex + offset, as: UInt8.self)
    }

    mutating func next() -> UInt8? {
        buffer.readInteger(as: UInt8.self)
    }

    func fail(_ message: String) -> IMAPParseError {
        IMAPParseError(.syntax, message)
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        buffer.moveReaderIndex(forwardBy: 1)
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(IMAPParseError) {
        guard consume(byte) else { throw fail("Expected \(what)") }
    }

    mutating func expectSpace() throws(IMAPParseError) {
        try expect(Self.space, "a space")
    }

    /// Runs `body` one nesting level deeper (parentheses, NOT, OR), within `maxNestingDepth`.
    mutating func nested<T>(_ body: (inout Self) throws(IMAPParseError) -> T) throws(IMAPParseError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= configuration.limits.maxNestingDepth else {
            throw IMAPParseError(.nestingTooDeep, "Nesting deeper than \(configuration.limits.maxNestingDepth) levels")
        }
        return try body(&self)
    }

    // MARK: - Character classes (RFC 3501 §9)

    // atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
    // ATOM-CHAR = <any CHAR except atom-specials>
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x20, 0x7F...0xFF: false
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            false
        default: true
        }
    }

    // ASTRING-CHAR = ATOM-CHAR / resp-specials
    static func isAStringChar(_ byte: UInt8) -> Bool {
        isAtomChar(byte) || byte == UInt8(ascii: "]")
    }

    // list-char = ATOM-CHAR / list-wildcards / resp-specials
    static func isListChar(_ byte: UInt8) -> Bool {
        isAStringChar(byte) || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*")
    }

    // tag = 1*<any ASTRING-CHAR except "+">
    static func isTagChar(_ byte: UInt8) -> Bool {
        isAStringChar(byte) && byte != UInt8(ascii: "+")
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    mutating func readWhile(_ predicate: (UInt8) -> Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        while let byte = peek(), predicate(byte) {
            bytes.append(byte)
            buffer.moveReaderIndex(forwardBy: 1)
        }
        return bytes
    }

    // MARK: - Basic rules

    // tag = 1*<any ASTRING-CHAR except "+">
    mutating func parseTag() throws(IMAPParseError) -> String {
        let bytes = readWhile(Self.isTagChar)
        guard !bytes.isEmpty else { throw fail("Missing or invalid tag") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A command or option name: letters, digits, "." and "-" (`RFC822.SIZE`, `SPECIAL-USE`),
    /// uppercased. Stops before "[" so `BODY[` reads as `BODY`.
    mutating func parseKeyword() throws(IMAPParseError) -> String {
        let bytes = readWhile { Self.isAlpha($0) || Self.isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
        guard !bytes.isEmpty else { throw fail("Expected a keyword") }
        return String(decoding: bytes.map { Self.isAlpha($0) ? $0 & 0xDF : $0 }, as: UTF8.self)
    }

    // atom = 1*ATOM-CHAR
    mutating func parseAtom() throws(IMAPParseError) -> String {
        let bytes = readWhile(Self.isAtomChar)
        guard !bytes.isEmpty else { throw fail("Expected an atom") }
        return String(decoding: bytes, as: UTF8.self)
    }

    // number = 1*DIGIT ; Unsigned 32-bit integer (0 <= n < 4,294,967,296)
    mutating func parseNumber() throws(IMAPParseError) -> UInt32 {
        let value = try parseNumber64()
        guard value <= UInt64(UInt32.max) else { throw fail("Number too large") }
        return UInt32(value)
    }

    // number64 = 1*DIGIT ; Unsigned 63-bit integer (RFC 9051)
    mutating func parseNumber64() throws(IMAPParseError) -> UInt64 {
        let digits = readWhile(Self.isDigit)
        guard !digits.isEmpty else { throw fail("Expected a number") }
        var value: UInt64 = 0
        for digit in digits {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2, sum <= UInt64(Int64.max) else { throw fail("Number too large") }
            value = sum
        }
        return value
    }

    // nz-number = digit-nz *DIGIT ; Non-zero unsigned 32-bit integer
    mutating func parseNonZeroNumber() throws(IMAPParseError) -> UInt32 {
        guard let first = peek(), first != UInt8(ascii: "0") else { throw fail("Expected a non-zero number") }
        return try parseNumber()
    }

    // quoted = DQUOTE *QUOTED-CHAR DQUOTE
    // QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials
    //               (RFC 6855 §3, after ENABLE UTF8=ACCEPT: / UTF8-2 / UTF8-3 / UTF8-4)
    mutating func parseQuoted() throws(IMAPParseError) -> [UInt8] {
        try expect(Self.dquote, "a quoted string")
        var bytes: [UInt8] = []
        while true {
            guard let byte = next() else { throw fail("Unterminated quoted string") }
            switch byte {
            case Self.dquote:
                if configuration.utf8Accepted, bytes.contains(where: { $0 >= 0x80 }),
                    String(validating: bytes, as: UTF8.self) == nil
                {
                    throw fail("Invalid UTF-8 in a quoted string")
                }
                return bytes
            case Self.backslash:
                guard let escaped = next(), escaped == Self.dquote || escaped == Self.backslash else {
                    throw fail("Only \\\" and \\\\ may be escaped in a quoted string")
                }
                bytes.append(escaped)
            case 0x00, Self.cr, Self.lf:
                throw fail("Invalid character in a quoted string")
            case 0x80...0xFF where !configuration.utf8Accepted:
                throw fail("8-bit character in a quoted string (use a literal)")
            default:
                bytes.append(byte)
            }
        }
    }

    // literal = "{" number64 ["+"] "}" CRLF *CHAR8 ; Number represents the number of CHAR8s
    // CHAR8 = %x01-ff ; any OCTET except NUL, %x00
    // (The framer has checked the size against the limits and put the octets in place.)
    mutating func parseLiteral() throws(IMAPParseError) -> [UInt8] {
        try expect(UInt8(ascii: "{"), "a literal")
        let size = try parseNumber64()
        _ = consume(UInt8(ascii: "+"))
        try expect(UInt8(ascii: "}"), "\"}\"")
        try expect(Self.cr, "CRLF after a literal size")
        try expect(Self.lf, "CRLF after a literal size")
        guard size <= UInt64(buffer.readableBytes), let bytes = buffer.readBytes(length: Int(size)) else {
            throw fail("Literal shorter than announced")
        }
        guard !bytes.contains(0) else { throw fail("NUL in a literal") }
        return bytes
    }

    // string = quoted / literal
    mutating func parseString() throws(IMAPParseError) -> [UInt8] {
        switch peek() {
        case Self.dquote: return try parseQuoted()
        case UInt8(ascii: "{"): return try parseLiteral()
        default: throw fail("Expected a string")
        }
    }

    // nstring = string / nil
    mutating func parseNString() throws(IMAPParseError) -> [UInt8]? {
        if peek() == Self.dquote || peek() == UInt8(ascii: "{") { return try parseString() }
        guard try parseAtom().uppercased() == "NIL" else { throw fail("Expected a string or NIL") }
        return nil
    }

    // astring = 1*ASTRING-CHAR / string
    mutating func parseAString() throws(IMAPParseError) -> [UInt8] {
        if peek() == Self.dquote || peek() == UInt8(ascii: "{") { return try parseString() }
        let bytes = readWhile(Self.isAStringChar)
        guard !bytes.isEmpty else { throw fail("Expected an atom or a string") }
        return bytes
    }

    // mailbox = "INBOX" / astring
    //           ; INBOX is case-insensitive; other names are passed through as sent
    mutating func parseMailbox() throws(IMAPParseError) -> IMAPMailboxName {
        IMAPMailboxName(try parseAString())
    }

    // list-mailbox = 1*list-char / string
    mutating func parseListMailbox() throws(IMAPParseError) -> [UInt8] {
        if peek() == Self.dquote || peek() == UInt8(ascii: "{") { return try parseString() }
        let bytes = readWhile(Self.isListChar)
        guard !bytes.isEmpty else { throw fail("Expected a mailbox pattern") }
        return bytes
    }

    // seq-number = nz-number / "*"
    mutating func parseSequenceNumber() throws(IMAPParseError) -> IMAPSequenceNumber {
        if consume(UInt8(ascii: "*")) { return .last }
        return .number(try parseNonZeroNumber())
    }

    // sequence-set = (seq-number / seq-range) ["," sequence-set]
    // seq-range = seq-number ":" seq-number
    // sequence-set =/ seq-last-command; seq-last-command = "$"   (RFC 5182 §4)
    mutating func parseSequenceSet() throws(IMAPParseError) -> IMAPSequenceSet {
        if consume(UInt8(ascii: "$")) { return .savedResult }
        var ranges: [IMAPSequenceRange] = []
        repeat {
            let first = try parseSequenceNumber()
            if consume(UInt8(ascii: ":")) {
                ranges.append(IMAPSequenceRange(first, try parseSequenceNumber()))
            } else {
                ranges.append(IMAPSequenceRange(first))
            }
        } while consume(UInt8(ascii: ","))
        return IMAPSequenceSet(ranges)
    }

    // flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
    // flag-keyword = atom
    // flag-extension = "\" atom
    mutating func parseFlag() throws(IMAPParseError) -> IMAPFlag {
        if consume(Self.backslash) {
            let name = try parseAtom()
            switch name.uppercased() {
            case "ANSWERED": return .answered
            case "FLAGGED": return .flagged
            case "DELETED": return .deleted
            case "SEEN": return .seen
            case "DRAFT": return .draft
            default: return .extension(name)
            }
        }
        return .keyword(try parseAtom())
    }

    // flag-list = "(" [flag *(SP flag)] ")"
    mutating func parseFlagList() throws(IMAPParseError) -> [IMAPFlag] {
        try expect(UInt8(ascii: "("), "a flag list")
        var flags: [IMAPFlag] = []
        if consume(UInt8(ascii: ")")) { return flags }
        repeat {
            flags.append(try parseFlag())
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the flags")
        return flags
    }

    // date = date-text / DQUOTE date-text DQUOTE
    // date-text = date-day "-" date-month "-" date-year
    // date-day = 1*2DIGIT
    mutating func parseDate() throws(IMAPParseError) -> IMAPDate {
        let quoted = consume(Self.dquote)
        let day = try parseDigits(1...2)
        try expect(UInt8(ascii: "-"), "\"-\" in a date")
        let month = try parseMonth()
        try expect(UInt8(ascii: "-"), "\"-\" in a date")
        let year = try parseDigits(4...4)
        if quoted { try expect(Self.dquote, "\"\\\"\" after a date") }
        return try validDate(year: year, month: month, day: day)
    }

    // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
    // date-day-fixed = (SP DIGIT) / 2DIGIT
    // time = 2DIGIT ":" 2DIGIT ":" 2DIGIT
    // zone = ("+" / "-") 4DIGIT
    mutating func parseDateTime() throws(IMAPParseError) -> IMAPDateTime {
        try expect(Self.dquote, "a date-time")
        let day = try consume(Self.space) ? parseDigits(1...1) : parseDigits(2...2)
        try expect(UInt8(ascii: "-"), "\"-\" in a date-time")
        let month = try parseMonth()
        try expect(UInt8(ascii: "-"), "\"-\" in a date-time")
        let year = try parseDigits(4...4)
        try expectSpace()
        let hour = try parseDigits(2...2)
        try expect(UInt8(ascii: ":"), "\":\" in a time")
        let minute = try parseDigits(2...2)
        try expect(UInt8(ascii: ":"), "\":\" in a time")
        let second = try parseDigits(2...2)
        try expectSpace()
        let sign: Int
        switch next() {
        case UInt8(ascii: "+"): sign = 1
        case UInt8(ascii: "-"): sign = -1
        default: throw fail("Expected a zone like +0100")
        }
        let zone = try parseDigits(4...4)
        try expect(Self.dquote, "\"\\\"\" after a date-time")
        guard hour < 24, minute < 60, second < 61, zone % 100 < 60, zone / 100 < 24 else {
            throw fail("Invalid time in a date-time")
        }
        return IMAPDateTime(
            date: try validDate(year: year, month: month, day: day), hour: hour, minute: minute, second: second,
            zoneMinutes: sign * (zone / 100 * 60 + zone % 100))
    }

    private mutating func parseDigits(_ count: ClosedRange<Int>) throws(IMAPParseError) -> Int {
        var value = 0
        var digits = 0
        while digits < count.upperBound, let byte = peek(), Self.isDigit(byte) {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            buffer.moveReaderIndex(forwardBy: 1)
        }
        guard count.contains(digits) else { throw fail("Expected \(count.lowerBound) digits") }
        return value
    }

    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    // date-month = "Jan" / "Feb" / "Mar" / "Apr" / "May" / "Jun" / "Jul" / "Aug" / "Sep" / "Oct" / "Nov" / "Dec"
    private mutating func parseMonth() throws(IMAPParseError) -> Int {
        guard let bytes = buffer.readBytes(length: 3),
            let index = Self.months.firstIndex(of: String(decoding: bytes.map { $0 & 0xDF }, as: UTF8.self))
        else { throw fail("Expected a month like Jan") }
        return index + 1
    }

    private func validDate(year: Int, month: Int, day: Int) throws(IMAPParseError) -> IMAPDate {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day >= 1, day <= days else { throw fail("No such day") }
        return IMAPDate(year: year, month: month, day: day)
    }

    // CRLF at the end of the command
    mutating func expectEnd() throws(IMAPParseError) {
        guard consume(Self.cr), consume(Self.lf), isAtEnd else { throw fail("Unexpected characters at the end of the command") }
    }
}

extension IMAPSequenceSet {
    /// A sequence set written as text (inside a generic extension value such as QRESYNC's
    /// known-uids); nil when it is not one.
    public init?(text: String) {
        var parser = IMAPGrammarParser(ByteBuffer(string: text), configuration: IMAPParserConfiguration())
        guard let set = try? parser.parseSequenceSet(), parser.isAtEnd else { return nil }
        self = set
    }
}
