/// The limits of one quota root (RFC 9208 §5: the STORAGE and MESSAGE resources). nil: no limit.
public struct QuotaLimits: Sendable, Equatable {
    /// Bytes of message files (the sum of their sizes on disk, as `S=` in their names says).
    public var storage: Int64?
    /// Messages, in all folders.
    public var messages: Int64?

    public init(storage: Int64? = nil, messages: Int64? = nil) {
        self.storage = storage
        self.messages = messages
    }

    public static let unlimited = QuotaLimits()

    public var isUnlimited: Bool { storage == nil && messages == nil }

    /// Whether `usage` is within these limits.
    public func admits(_ usage: QuotaUsage) -> Bool {
        if let storage, usage.storage > storage { return false }
        if let messages, usage.messages > messages { return false }
        return true
    }
}

/// What a quota root holds: bytes and messages.
public struct QuotaUsage: Sendable, Equatable {
    public var storage: Int64
    public var messages: Int64

    public init(storage: Int64, messages: Int64) {
        self.storage = storage
        self.messages = messages
    }

    public static let zero = QuotaUsage(storage: 0, messages: 0)

    public static func + (a: QuotaUsage, b: QuotaUsage) -> QuotaUsage {
        QuotaUsage(storage: a.storage + b.storage, messages: a.messages + b.messages)
    }
}

/// Storing would take the quota root past a limit: IMAP `NO [OVERQUOTA]` (RFC 9208 §4.3), SMTP
/// `552 5.2.2` (RFC 3463). Nothing was stored.
public struct QuotaExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Maildir++ root whose quota is exceeded.
    public var root: String
    public var usage: QuotaUsage
    public var limits: QuotaLimits

    public init(root: String, usage: QuotaUsage, limits: QuotaLimits) {
        self.root = root
        self.usage = usage
        self.limits = limits
    }

    public var description: String {
        "quota exceeded at \(root): \(usage.storage) bytes in \(usage.messages) messages, limits "
            + "\(limits.storage.map(String.init) ?? "none") bytes, \(limits.messages.map(String.init) ?? "none") messages"
    }
}
