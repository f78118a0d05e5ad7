/// Why a server's bytes are not an SMTP reply. Any of these means the connection can no longer be trusted
/// to be in step: the glue drops it (and tells the session with `SMTPClientSession.replyError(_:)`).
public enum SMTPReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line that does not start with a reply code (`2`-`5` then two digits) followed by end of line, SP or "-".
    case malformedLine(String)
    /// A continuation line whose code differs from the reply's first line (RFC 5321 §4.2.1).
    case codeMismatch(expected: Int, found: Int)
    /// A line longer than the parser's `maximumLineLength` bytes.
    case lineTooLong(limit: Int)
    /// A multi-line reply with more than `maximumLines` lines.
    case tooManyLines(limit: Int)

    public var description: String {
        switch self {
        case .malformedLine(let line): "malformed reply line \"\(line)\""
        case .codeMismatch(let expected, let found): "reply code \(found) in the middle of a \(expected) reply"
        case .lineTooLong(let limit): "reply line longer than \(limit) bytes"
        case .tooManyLines(let limit): "reply with more than \(limit) lines"
        }
    }
}
