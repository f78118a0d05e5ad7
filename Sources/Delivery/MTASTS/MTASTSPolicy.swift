/// An MTA-STS policy (RFC 8461 §3.2), as served at `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
public struct MTASTSPolicy: Sendable, Equatable, Codable {
    /// What a sender does with a host that fails the policy (RFC 8461 §5).
    public enum Mode: String, Sendable, Equatable, Codable {
        /// Only listed MX hosts, only over TLS with a PKIX-valid certificate for the MX name.
        case enforce
        /// Deliver as without a policy, and report what would have failed.
        case testing
        /// The domain has withdrawn its policy (RFC 8461 §8.3).
        case none
    }

    /// The longest `max_age` a policy may ask for: one year (RFC 8461 §3.2).
    public static let maximumAge = 31_557_600

    public var mode: Mode
    /// The allowed MX host patterns, lowercased: host names, or `*.` and a domain for any host one label below it.
    public var mx: [String]
    /// How long the policy may be cached, in seconds (at most `maximumAge`).
    public var maxAge: Int

    public init(mode: Mode, mx: [String], maxAge: Int) {
        self.mode = mode
        self.mx = mx
        self.maxAge = maxAge
    }

    /// Whether the MX host name `host` is allowed (RFC 8461 §4.1): equal to a pattern ignoring case, or, for
    /// `*.example.net`, exactly one label followed by `.example.net` (not `example.net`, not `a.b.example.net`).
    public func allows(mxHost host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return mx.contains { pattern in
            guard pattern.hasPrefix("*.") else { return name == pattern }
            let parent = pattern.dropFirst(1)  // ".example.net"
            guard name.hasSuffix(parent) else { return false }
            let label = name.dropLast(parent.count)
            return !label.isEmpty && !label.contains(".")
        }
    }

    enum CodingKeys: String, CodingKey {
        case mode, mx, maxAge = "max_age"
    }
}

extension MTASTSPolicy {
    /// Parses a policy file (RFC 8461 §3.2): `key: value` lines ended by CRLF or LF, `version: STSv1`, `mode`
    /// and `max_age` required, `mx` repeated (and required unless the mode is `none`). Of a key other than
    /// `mx` the first occurrence counts; unknown keys are ignored; blank lines are tolerated. A `max_age` above
    /// one year is capped at `maximumAge`.
    /// - Throws: `MTASTSError.invalidPolicy` saying what is wrong: an invalid policy is no policy.
    public static func parse(_ bytes: [UInt8]) throws(MTASTSError) -> MTASTSPolicy {
        func invalid(_ reason: String) -> MTASTSError { .invalidPolicy(reason) }
        var version: String?
        var mode: Mode?
        var maxAge: Int?
        var mx: [String] = []
        // Split on the bytes: in a Swift String, CRLF is one Character.
        for lineBytes in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let trimmed = lineBytes.last == UInt8(ascii: "\r") ? lineBytes.dropLast() : lineBytes
            guard let text = String(validating: trimmed, as: UTF8.self) else { throw invalid("the policy is not UTF-8 text") }
            let line = Substring(text)
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard let colon = line.firstIndex(of: ":") else { throw invalid("\"\(line)\" is not a \"key: value\" line") }
            let key = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            // sts-policy-ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
            guard let first = key.first, first.isASCII, first.isLetter || first.isNumber, key.count <= 32,
                  key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
            else { throw invalid("\"\(key)\" is not a policy key") }
            guard !value.isEmpty else { throw invalid("\"\(key)\" has no value") }
            switch key {
            case "version":
                guard value == "STSv1" else { throw invalid("version \"\(value)\" is not STSv1") }
                version = version ?? String(value)
            case "mode":
                guard let parsed = Mode(rawValue: String(value)) else { throw invalid("mode \"\(value)\" is not enforce, testing or none") }
                mode = mode ?? parsed
            case "max_age":
                // sts-policy-max-age-value = 1*10(DIGIT)
                guard (1...10).contains(value.count), value.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int(value)
                else { throw invalid("max_age \"\(value)\" is not a number of seconds") }
                maxAge = maxAge ?? min(seconds, maximumAge)
            case "mx":
                let pattern = value.lowercased()
                let name = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
                guard isHostName(name) else { throw invalid("mx \"\(value)\" is not a host name or *.domain") }
                mx.append(pattern)
            default:
                continue  // RFC 8461 §3.2: unknown fields are ignored
            }
        }
        guard version != nil else { throw invalid("the version field is missing") }
        guard let mode else { throw invalid("the mode field is missing") }
        guard let maxAge else { throw invalid("the max_age field is missing") }
        if mode != .none, mx.isEmpty { throw invalid("mode \(mode.rawValue) needs at least one mx field") }
        return MTASTSPolicy(mode: mode, mx: mx, maxAge: maxAge)
    }

    /// Letters, digits and inner hyphens in dot-separated labels of at most 63 characters (RFC 5321 §4.1.2
    /// Domain, A-labels only).
    static func isHostName(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
