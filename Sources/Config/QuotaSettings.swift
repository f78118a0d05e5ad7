/// One quota limit as an admin writes it: a number, or none.
public enum QuotaLimit: Sendable, Equatable {
    case unlimited
    case atMost(Int)

    /// The limit, nil for none.
    public var value: Int? {
        if case .atMost(let limit) = self { return limit }
        return nil
    }

    /// `none`, `unlimited` or `0` (no limit, as Dovecot's `0`); nil for anything else.
    private static func unlimited(_ text: String) -> QuotaLimit? {
        ["none", "unlimited", "0"].contains(text.lowercased()) ? .unlimited : nil
    }

    /// A storage limit: a size (`"500M"`, `"1G"`, bytes without a unit) or none; nil when not valid.
    public static func storage(_ text: String) -> QuotaLimit? {
        if let none = unlimited(text) { return none }
        return SizeText.parse(text).map { .atMost($0) }
    }

    /// A message-count limit: a whole number or none; nil when not valid.
    public static func messages(_ text: String) -> QuotaLimit? {
        if let none = unlimited(text) { return none }
        guard text.count <= 12, text.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(text) else { return nil }
        return .atMost(count)
    }

    static let expectedStorage = #"a size like "500M" or "1G", or "none""#
    static let expectedMessages = #"a number of messages, or 0 or "none" for no limit"#
}

/// The `[quota]` section: every user's limits (RFC 9208 STORAGE and MESSAGE), over all their folders.
/// A user's passwd-file entry overrides them with `quota_storage=` and `quota_messages=` extra fields.
/// No section (or `none`) means no limit.
public struct QuotaSettings: Sendable, Equatable {
    public var storage: QuotaLimit
    public var messages: QuotaLimit

    public init(storage: QuotaLimit = .unlimited, messages: QuotaLimit = .unlimited) {
        self.storage = storage
        self.messages = messages
    }

    /// The limits for a user with these passwd-file extra fields: the last `quota_storage=` and
    /// `quota_messages=` (or `userdb_quota_storage=`, ...) win over the section's. Returns the problems of fields that are not valid (the
    /// section's value is kept for those), for the log.
    public func limits(extraFields: [String]) -> (settings: QuotaSettings, problems: [String]) {
        var result = self
        var problems: [String] = []
        for extra in extraFields {
            // Dovecot's passwd-file marks userdb fields with `userdb_`; both spellings are read.
            let field = extra.hasPrefix("userdb_") ? String(extra.dropFirst("userdb_".count)) : extra
            if field.hasPrefix("quota_storage=") {
                let text = String(field.dropFirst("quota_storage=".count))
                if let limit = QuotaLimit.storage(text) {
                    result.storage = limit
                } else {
                    problems.append("quota_storage=\(text): expected \(QuotaLimit.expectedStorage)")
                }
            } else if field.hasPrefix("quota_messages=") {
                let text = String(field.dropFirst("quota_messages=".count))
                if let limit = QuotaLimit.messages(text) {
                    result.messages = limit
                } else {
                    problems.append("quota_messages=\(text): expected \(QuotaLimit.expectedMessages)")
                }
            }
        }
        return (result, problems)
    }
}
