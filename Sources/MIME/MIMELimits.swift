/// Named limits for the MIME parser. Past them a part is kept as a leaf instead of being split further.
public struct MIMELimits: Sendable, Hashable {
    /// How deep multiparts and message/rfc822 parts may nest (Dovecot's message-parser default: 100).
    public var maxNestingDepth: Int
    /// How many parts one message may have in total (Dovecot's message-parser default: 10,000).
    public var maxPartCount: Int

    public init(maxNestingDepth: Int = 100, maxPartCount: Int = 10_000) {
        self.maxNestingDepth = maxNestingDepth
        self.maxPartCount = maxPartCount
    }

    public static let `default` = MIMELimits()
}
