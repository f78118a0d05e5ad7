internal import TOMLKit

extension ConfigParser {
    /// `[quota]`: `storage = "1G"` (a size, or `"none"`) and `messages = 100000` (0 or `"none"`: no limit).
    func parseQuota(_ section: TableReader) -> QuotaSettings {
        section.rejectUnknownKeys(known: ["storage", "messages"], into: problems)
        var quota = QuotaSettings()
        if section.has("storage") {
            if let text = attempt({ try section.string("storage") }) {
                if let limit = QuotaLimit.storage(text) {
                    quota.storage = limit
                } else {
                    problems.record(section.error("storage", "expected \(QuotaLimit.expectedStorage), got \"\(text)\""))
                }
            }
        }
        if let value = section.toml["messages"] {
            if let count = value.int {
                if count >= 0 {
                    quota.messages = count == 0 ? .unlimited : .atMost(count)
                } else {
                    problems.record(section.error("messages", "expected \(QuotaLimit.expectedMessages), got \(count)"))
                }
            } else if let text = value.string, let limit = QuotaLimit.messages(text) {
                quota.messages = limit
            } else {
                let shown = value.string.map { "\"\($0)\"" } ?? TableReader.noun(value.type)
                problems.record(section.error("messages", "expected \(QuotaLimit.expectedMessages), got \(shown)"))
            }
        }
        return quota
    }
}
