/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more lines of text. Error
/// replies start their text with an enhanced status code (RFC 3463, RFC 2034).
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(_ code: Int, _ text: String) {
        self.code = code
        self.lines = [text]
    }

    public init(_ code: Int, lines: [String]) {
        precondition(!lines.isEmpty, "a reply has at least one line")
        self.code = code
        self.lines = lines
    }

    /// RFC 5321 §4.2.1: every line but the last is `code-text`, the last `code SP text`.
    public var encoded: String {
        var out = ""
        for (index, line) in lines.enumerated() {
            out += "\(code)\(index == lines.count - 1 ? " " : "-")\(line)\r\n"
        }
        return out
    }

    public var description: String { "\(code) " + lines.joined(separator: " / ") }
}
