/// The duration syntax of the configuration file: a whole number followed by a unit,
/// as in `"500ms"`, `"2s"`, `"10m"`, `"1h"` or `"5d"`.
enum DurationText {
    /// What an admin is told when a value does not match the syntax.
    static let expected = #"a duration like "500ms", "2s", "10m", "1h" or "5d""#

    /// Parses `text`, or returns nil if it is not exactly digits followed by `ms`, `s`, `m`, `h` or `d`.
    static func parse(_ text: String) -> Duration? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        // Nine digits keep every unit far from Int64 overflow and are more than any timeout needs.
        guard !digits.isEmpty, digits.count <= 9, let amount = Int64(digits) else { return nil }
        switch text.dropFirst(digits.count) {
        case "ms": return .milliseconds(amount)
        case "s": return .seconds(amount)
        case "m": return .seconds(amount * 60)
        case "h": return .seconds(amount * 3600)
        case "d": return .seconds(amount * 86400)
        default: return nil
        }
    }
}

extension DurationText {
    /// `duration` in the file's syntax, in the largest unit that represents it exactly (`"10m"`, `"1500ms"`).
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds != 0 || seconds == 0 {
            return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
        }
        if seconds % 86400 == 0 { return "\(seconds / 86400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
