extension ConfigParser {
    /// `[mta_sts]`: `mode = "enforce" | "testing" | "none"`, `max_age` (seconds, or a duration like "7d"),
    /// `mx = ["mail.example.org", "*.example.org"]`.
    func parseMTASTS(_ section: TableReader) -> MTASTSSettings {
        section.rejectUnknownKeys(known: ["mode", "max_age", "mx"], into: problems)
        var settings = MTASTSSettings()
        if let mode = attempt({ try section.choice("mode", of: MTASTSSettings.Mode.self) }) { settings.mode = mode }
        if let maxAge = maxAge(section) {
            if (1...MTASTSSettings.maximumMaxAge).contains(maxAge.seconds) {
                settings.maxAge = maxAge.seconds
            } else {
                problems.record(section.error(
                    "max_age", "must be from 1 second to \(MTASTSSettings.maximumMaxAge) seconds (one year, RFC 8461 §3.2), got \(maxAge.text)"))
            }
        }
        if let patterns = attempt({ try section.stringArray("mx") }) {
            if patterns.isEmpty {
                problems.record(section.error("mx", "must name at least one MX host (leave it out for hostname)"))
            }
            for (index, pattern) in patterns.enumerated() where !Self.isHostName(pattern, wildcard: true) {
                problems.record(section.error(
                    "mx[\(index)]", "must be a host name like \"mail.example.org\" or \"*.example.org\", got \"\(pattern)\""))
            }
            if !patterns.isEmpty, patterns.allSatisfy({ Self.isHostName($0, wildcard: true) }) {
                settings.mx = patterns.map { $0.lowercased() }
            }
        }
        return settings
    }

    /// `max_age = 604800` or `max_age = "7d"`, in seconds, with its text for messages.
    private func maxAge(_ section: TableReader) -> (seconds: Int, text: String)? {
        guard section.has("max_age") else { return nil }
        if let seconds = try? section.int("max_age") { return (seconds, "\(seconds)") }
        guard let duration = attempt({ try section.duration("max_age") }) else { return nil }
        return (Int(duration.value.components.seconds), "\"\(duration.text)\"")
    }
}
