public import Foundation

/// A recipient the outbound queue must relay, with its DSN parameters from `RCPT TO` (RFC 3461 §4), and
/// where its delivery stands.
public struct RemoteRecipient: Sendable, Equatable, Codable {
    /// The forward-path as accepted, `local@domain`.
    public var address: String
    /// `NOTIFY=`; nil when the client gave none (the default then is failure and delay, RFC 3461 §4.1).
    public var notify: [DSNNotify]?
    /// `ORCPT=` as received (`addr-type;xtext-encoded address`), nil when absent (RFC 3461 §4.2).
    public var orcpt: String?
    /// The final result; nil while delivery is still being tried.
    public var outcome: RecipientOutcome?
    /// The most recent temporary failure, for `loft queue show`, delay notices and the final bounce.
    public var lastFailure: RecipientFailure?

    public init(
        address: String, notify: [DSNNotify]? = nil, orcpt: String? = nil, outcome: RecipientOutcome? = nil,
        lastFailure: RecipientFailure? = nil
    ) {
        self.address = address
        self.notify = notify
        self.orcpt = orcpt
        self.outcome = outcome
        self.lastFailure = lastFailure
    }

    /// The recipient's domain, lowercased (what routing and the per-destination limit go by).
    public var domain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...].lowercased()
    }
}

/// How a recipient's delivery ended.
public enum RecipientOutcome: Sendable, Equatable, Codable {
    /// Accepted by the next hop.
    case delivered(RecipientDelivery)
    /// Given up: a permanent failure, the queue lifetime, or an admin's `loft queue bounce`.
    case bounced(RecipientFailure)
}

/// A successful hand-over to the next hop.
public struct RecipientDelivery: Sendable, Equatable, Codable {
    public var at: Date
    /// The host that accepted it, "mx.example.net [192.0.2.1]".
    public var remoteMTA: String
    /// Its final reply, "250 2.0.0 Ok: queued as 12345".
    public var reply: String
    /// Whether the next hop offered DSN; when not, a NOTIFY=SUCCESS sender gets a "relayed" notice.
    public var remoteSupportsDSN: Bool

    /// Spool JSON keys are snake_case: "remote_mta".
    private enum CodingKeys: String, CodingKey {
        case at, reply, remoteSupportsDSN = "remoteSupportsDsn", remoteMTA = "remoteMta"
    }

    public init(at: Date, remoteMTA: String, reply: String, remoteSupportsDSN: Bool) {
        self.at = at
        self.remoteMTA = remoteMTA
        self.reply = reply
        self.remoteSupportsDSN = remoteSupportsDSN
    }
}

/// Why a delivery failed, as a DSN reports it (RFC 3464 §2.3).
public struct RecipientFailure: Sendable, Equatable, Codable {
    public var at: Date
    /// The enhanced status code (RFC 3463), "4.4.1" or "5.1.1".
    public var status: String
    /// "smtp; 550 5.1.1 no such user", or "X-Loft; ..." for what Loft decided itself.
    public var diagnostic: String
    /// The host that answered, if one did.
    public var remoteMTA: String?

    /// Spool JSON keys are snake_case: "remote_mta".
    private enum CodingKeys: String, CodingKey {
        case at, status, diagnostic, remoteMTA = "remoteMta"
    }

    public init(at: Date, status: String, diagnostic: String, remoteMTA: String? = nil) {
        self.at = at
        self.status = status
        self.diagnostic = diagnostic
        self.remoteMTA = remoteMTA
    }
}
