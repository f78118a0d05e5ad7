import NIOCore

/// A POP3 command (RFC 1939 §5–7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH).
public enum POP3Command: Equatable, Sendable {
    case capa
    case stls
    case user(String)
    case pass(String)
    case auth(mechanism: String?, initialResponse: String?)
    case stat
    case list(Int?)
    case retr(Int)
    case top(Int, lines: Int)
    case uidl(Int?)
    case dele(Int)
    case rset
    case noop
    case quit
}

/// Why a line is not a valid command; `reply` is the text after `-ERR `.
public struct POP3ParseError: Error, Equatable, Sendable {
    public var reply: String
}

public enum POP3Parser {
    /// RFC 1939 §3: `keyword *(SP argument)`; keywords are case-insensitive, arguments are
    /// separated by one space. PASS takes the rest of the line so passwords may hold spaces
    /// (as Dovecot and most servers allow).
    public static func parseCommand(_ line: ByteBuffer) throws(POP3ParseError) -> POP3Command {
        // The command a download repeats thousands of times, read without making strings.
        if let number = retrieveNumber(line.readableBytesView) { return .retr(number) }
        let text = String(decoding: line.readableBytesView, as: UTF8.self)
        guard !text.isEmpty else { throw POP3ParseError(reply: "Empty command") }
        let keywordEnd = text.firstIndex(of: " ") ?? text.endIndex
        // Keywords are ASCII: `uppercased()` alone would also turn "lıst" (dotless i) into "LIST".
        let keywordText = text[..<keywordEnd]
        let keyword = keywordText.utf8.allSatisfy({ $0 < 0x80 }) ? keywordText.uppercased() : ""
        let rest = keywordEnd < text.endIndex ? String(text[text.index(after: keywordEnd)...]) : ""
        let arguments = rest.isEmpty ? [] : rest.split(separator: " ", omittingEmptySubsequences: false).map(String.init)

        switch keyword {
        case "CAPA": try expectNoArguments(arguments, keyword); return .capa
        case "STLS": try expectNoArguments(arguments, keyword); return .stls
        case "STAT": try expectNoArguments(arguments, keyword); return .stat
        case "RSET": try expectNoArguments(arguments, keyword); return .rset
        case "NOOP": try expectNoArguments(arguments, keyword); return .noop
        case "QUIT": try expectNoArguments(arguments, keyword); return .quit
        case "USER":
            guard arguments.count == 1, !arguments[0].isEmpty else {
                throw POP3ParseError(reply: "USER needs exactly one argument: the user name")
            }
            return .user(arguments[0])
        case "PASS":
            guard !rest.isEmpty else { throw POP3ParseError(reply: "PASS needs the password") }
            return .pass(rest)
        case "AUTH":
            switch arguments.count {
            case 0: return .auth(mechanism: nil, initialResponse: nil)
            case 1: return .auth(mechanism: arguments[0], initialResponse: nil)
            case 2: return .auth(mechanism: arguments[0], initialResponse: arguments[1])
            default: throw POP3ParseError(reply: "AUTH takes a mechanism and an optional initial response")
            }
        case "LIST": return .list(try optionalMessageNumber(arguments, keyword))
        case "UIDL": return .uidl(try optionalMessageNumber(arguments, keyword))
        case "RETR": return .retr(try messageNumber(arguments, keyword))
        case "DELE": return .dele(try messageNumber(arguments, keyword))
        case "TOP":
            guard arguments.count == 2, let number = parseNumber(arguments[0]), number > 0,
                  let lines = parseNumber(arguments[1])
            else { throw POP3ParseError(reply: "TOP needs a message number and a number of lines") }
            return .top(number, lines: lines)
        default:
            throw POP3ParseError(reply: "Unknown command")
        }
    }

    private static func expectNoArguments(_ arguments: [String], _ keyword: String) throws(POP3ParseError) {
        guard arguments.isEmpty else { throw POP3ParseError(reply: "\(keyword) takes no arguments") }
    }

    private static func messageNumber(_ arguments: [String], _ keyword: String) throws(POP3ParseError) -> Int {
        guard arguments.count == 1, let number = parseNumber(arguments[0]), number > 0 else {
            throw POP3ParseError(reply: "\(keyword) needs a message number")
        }
        return number
    }

    private static func optionalMessageNumber(_ arguments: [String], _ keyword: String) throws(POP3ParseError) -> Int? {
        arguments.isEmpty ? nil : try messageNumber(arguments, keyword)
    }

    /// The message number of a well-formed `RETR n` line (without its line break), keyword in any
    /// case; nil for anything else, which `parseCommand` then reads the general way.
    public static func retrieveNumber<Line: Collection<UInt8>>(_ line: Line) -> Int? {
        guard line.count >= 6, line.count <= 14 else { return nil }
        var bytes = line.makeIterator()
        for expected in "RETR ".utf8 {
            guard let byte = bytes.next() else { return nil }
            // ASCII letters compare case-insensitively with bit 0x20 set; the space must match exactly.
            guard expected == 0x20 ? byte == 0x20 : byte | 0x20 == expected | 0x20 else { return nil }
        }
        var number = 0
        while let byte = bytes.next() {
            guard byte >= 48, byte <= 57 else { return nil }
            number = number * 10 + Int(byte - 48)
        }
        return number > 0 ? number : nil
    }

    /// A decimal number of at most 9 digits (no sign, no overflow).
    private static func parseNumber(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }
}
