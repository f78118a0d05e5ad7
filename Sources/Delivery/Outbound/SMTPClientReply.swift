/// A reply from a remote SMTP server (RFC 5321 §4.2): a three-digit code and one or more lines of text.
public struct SMTPClientReply: Sendable, Equatable, CustomStringConvertible {
    /// 200...599.
    public var code: Int
    /// The text after `250-` / `250 ` on each line, in order; `[""]` for a bare `250`.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ text: String) {
        self.init(code: code, lines: [text])
    }

    /// The RFC 3463 enhanced status code the first line starts with (`"2.1.0"` of `250 2.1.0 Ok`), when it
    /// is well-formed and its class matches the reply's first digit (RFC 2034 §3: a `4xx` reply carries a
    /// `4.x.x` code); nil otherwise.
    public var enhancedStatus: String? {
        guard let first = lines.first else { return nil }
        let token = first.prefix { $0 != " " }
        guard let status = EnhancedStatus(token), status.statusClass == code / 100 else { return nil }
        return String(token)
    }

    /// 2xx (RFC 5321 §4.2.1). 3xx replies (354, 334) are intermediate and neither positive nor negative here.
    public var isPositive: Bool { (200...299).contains(code) }
    /// 4xx: try again later.
    public var isTransientNegative: Bool { (400...499).contains(code) }
    /// 5xx: do not repeat the same command.
    public var isPermanentNegative: Bool { (500...599).contains(code) }

    /// One line for logs and `Diagnostic-Code`: `250 2.1.0 Ok`; the lines of a multi-line reply joined with " / ".
    public var text: String {
        let joined = lines.joined(separator: " / ")
        return joined.isEmpty ? String(code) : "\(code) \(joined)"
    }

    public var description: String { text }

    /// The enhanced status to report for this reply: its own when it has one, else `4.0.0` / `5.0.0` (or `2.0.0`)
    /// from the reply's class.
    var statusOrDefault: String {
        enhancedStatus ?? "\(code / 100).0.0"
    }
}

/// An RFC 3463 §2 status code: `status-code = class "." subject "." detail`, class 2, 4 or 5,
/// subject and detail 1 to 3 digits.
struct EnhancedStatus: Equatable {
    var statusClass: Int
    var subject: Int
    var detail: Int

    init?(_ text: Substring) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts.allSatisfy({ (1...3).contains($0.count) && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let statusClass = Int(parts[0]), [2, 4, 5].contains(statusClass), parts[0].count == 1,
              let subject = Int(parts[1]), let detail = Int(parts[2])
        else { return nil }
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// The same subject and detail in another class: a session-level deferral after a `554 5.7.1` greeting
    /// is reported as `4.7.1`.
    static func withClass(_ statusClass: Int, _ status: String) -> String {
        guard let dot = status.firstIndex(of: ".") else { return status }
        return "\(statusClass)" + status[dot...]
    }
}
