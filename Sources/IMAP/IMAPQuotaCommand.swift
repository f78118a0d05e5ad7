/// The QUOTA commands (RFC 9208 §4.1).
public enum IMAPQuotaCommand: Sendable, Equatable {
    /// `GETQUOTA quota-root` (§4.1.1).
    case getQuota(root: [UInt8])
    /// `GETQUOTAROOT mailbox` (§4.1.2).
    case getQuotaRoot(IMAPMailboxName)
    /// `SETQUOTA quota-root (resource limit ...)` (§4.1.3); parsed so that it gets a proper answer.
    case setQuota(root: [UInt8], limits: [IMAPQuotaResourceLimit])
}

/// One `setquota-resource`: a resource name (upper case) and its new limit.
public struct IMAPQuotaResourceLimit: Sendable, Equatable {
    public var resource: String
    public var limit: UInt64

    public init(resource: String, limit: UInt64) {
        self.resource = resource
        self.limit = limit
    }
}
