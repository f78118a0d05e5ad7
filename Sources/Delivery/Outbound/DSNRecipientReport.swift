public import Foundation

/// The `Action` of a per-recipient DSN block (RFC 3464 §2.3.3).
public enum DSNAction: String, Sendable, Equatable, CaseIterable {
    /// The message could not be delivered and will not be retried.
    case failed
    /// Not delivered yet; still being retried.
    case delayed
    /// Delivered to the recipient's mailbox.
    case delivered
    /// Relayed to a system that does not send DSNs (RFC 3461 §6.2.2).
    case relayed
    /// Delivered to an alias or list that expanded to several recipients.
    case expanded
}

/// What a DSN says about one recipient (RFC 3464 §2.3).
public struct DSNRecipientReport: Sendable, Equatable {
    /// The recipient address as delivery tried it, `local@domain` (without an address type).
    public var finalRecipient: String
    /// The ORCPT parameter as received, `rfc822;a+2Bb@c` (the xtext is decoded in the report when it decodes
    /// to printable text), nil when the client gave none.
    public var originalRecipient: String?
    public var action: DSNAction
    /// The enhanced status code, `5.1.1`.
    public var status: String
    /// The host that gave the answer (`Remote-MTA: dns; mx.example.net`).
    public var remoteMTA: String?
    /// `Diagnostic-Code`, with its type: `smtp; 550 5.1.1 no such user`.
    public var diagnostic: String?
    public var lastAttempt: Date?
    /// For `delayed`: when the queue gives up.
    public var willRetryUntil: Date?

    public init(
        finalRecipient: String, originalRecipient: String? = nil, action: DSNAction, status: String,
        remoteMTA: String? = nil, diagnostic: String? = nil, lastAttempt: Date? = nil, willRetryUntil: Date? = nil
    ) {
        self.finalRecipient = finalRecipient
        self.originalRecipient = originalRecipient
        self.action = action
        self.status = status
        self.remoteMTA = remoteMTA
        self.diagnostic = diagnostic
        self.lastAttempt = lastAttempt
        self.willRetryUntil = willRetryUntil
    }
}

/// Which DSNs a recipient asked for.
public enum DSNPolicy {
    /// RFC 3461 §4.1: NEVER asks for nothing; SUCCESS for `delivered` (and `relayed` / `expanded`) reports,
    /// FAILURE for `failed`, DELAY for `delayed`. Without NOTIFY the default is FAILURE, plus DELAY at the
    /// MTA's discretion, which Loft takes.
    public static func shouldReport(action: DSNAction, notify: [DSNNotify]?) -> Bool {
        guard let notify else { return action == .failed || action == .delayed }
        if notify.contains(.never) { return false }
        switch action {
        case .failed: return notify.contains(.failure)
        case .delayed: return notify.contains(.delay)
        case .delivered, .relayed, .expanded: return notify.contains(.success)
        }
    }
}
