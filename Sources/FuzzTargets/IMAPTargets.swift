import IMAP
import MIME
import NIOCore

extension FuzzTargets {
    /// `IMAPCommandParser` over a client's byte stream, fed whole and in pieces whose sizes the
    /// control bytes choose: the parser always makes progress, never traps, and the pieces give
    /// the same results as the whole (APPEND data compared as one byte string).
    public static func imapParser(_ data: UnsafeRawBufferPointer) {
        var input = SessionInput(data)
        let whole = parseIMAP(input.stream, pieceSizes: { input.stream.count })
        let pieced = parseIMAP(input.stream, pieceSizes: { Int(input.choice() % 16) + 1 })
        precondition(whole == pieced, "the results depend on how the bytes arrive")
    }

    /// `MIMEParser` and the IMAP renderers on one message: never trap, and the ENVELOPE, BODY
    /// and BODYSTRUCTURE texts are balanced IMAP lists (quoted strings and literals skipped).
    public static func mime(_ data: UnsafeRawBufferPointer) {
        let root = MIMEParser.parse(Array(data))
        let structure = IMAPBodyStructure(root)
        for text in [IMAPEnvelope(header: root.header).wireBytes, structure.body, structure.bodyStructure] {
            checkBalancedList(text)
        }
    }

    /// Every result but `needMoreBytes`, as a session would drive the parser (IDLE entered
    /// after IDLE, each continuation request answered, consecutive APPEND pieces joined).
    private static func parseIMAP(_ bytes: [UInt8], pieceSizes: () -> Int) -> [IMAPParseResult] {
        var parser = IMAPCommandParser(configuration: IMAPParserConfiguration())
        var input = ByteBuffer()
        var results: [IMAPParseResult] = []
        var offset = 0
        var steps = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieceSizes())
            input.writeBytes(bytes[offset..<end])
            offset = end
            parsing: while true {
                steps += 1
                precondition(steps < 10 * bytes.count + 1000, "the parser does not make progress")
                let result = parser.parse(&input)
                switch result {
                case .needMoreBytes:
                    break parsing
                case .appendData(var data):
                    if case .appendData(var previous)? = results.last {
                        previous.writeBuffer(&data)
                        results[results.count - 1] = .appendData(previous)
                    } else {
                        results.append(result)
                    }
                case .command(let command) where command.kind == .idle:
                    results.append(result)
                    parser.beginIdle()
                case .error(_, let error) where error.isFatal:
                    results.append(result)
                    return results
                default:
                    results.append(result)
                }
            }
        }
        return results
    }

    /// Parentheses balance and never go negative outside quoted strings and `{n}` literals;
    /// every literal's count fits the text.
    private static func checkBalancedList(_ text: [UInt8]) {
        var depth = 0
        var index = 0
        while index < text.count {
            switch text[index] {
            case UInt8(ascii: "("):
                depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                precondition(depth >= 0, "unbalanced: \(String(decoding: text, as: UTF8.self))")
            case UInt8(ascii: "\""):
                index += 1
                while index < text.count, text[index] != UInt8(ascii: "\"") {
                    precondition(text[index] != UInt8(ascii: "\r") && text[index] != UInt8(ascii: "\n") && text[index] < 0x80,
                                 "a quoted string with a byte that needs a literal")
                    if text[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                precondition(index < text.count, "unterminated quoted string")
            case UInt8(ascii: "{"):
                guard let close = text[index...].firstIndex(of: UInt8(ascii: "}")),
                      let count = Int(String(decoding: text[(index + 1)..<close], as: UTF8.self)),
                      close + 2 < text.count || count == 0,
                      text[close + 1] == UInt8(ascii: "\r"), text[close + 2] == UInt8(ascii: "\n")
                else { preconditionFailure("malformed literal") }
                index = close + 2 + count
                precondition(index < text.count + 1, "a literal longer than the text")
            default:
                break
            }
            index += 1
        }
        precondition(depth == 0, "unbalanced: \(String(decoding: text, as: UTF8.self))")
    }
}
