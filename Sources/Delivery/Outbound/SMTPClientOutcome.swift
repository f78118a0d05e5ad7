/// What one SMTP connection achieved for a message.
public struct SMTPClientOutcome: Sendable, Equatable {
    /// One result per recipient of the message, index-aligned with `OutboundMessage.recipients`.
    public var recipients: [RecipientResult]
    /// Nothing definitive happened on this connection (connection, greeting, EHLO or TLS trouble, a 4xx to
    /// MAIL FROM, a 421 before any recipient was answered): the caller may try the next MX host now instead
    /// of waiting for the next queue run.
    public var tryNextHost: Bool

    public init(recipients: [RecipientResult], tryNextHost: Bool) {
        self.recipients = recipients
        self.tryNextHost = tryNextHost
    }
}

/// The fate of one recipient on one connection.
public enum RecipientResult: Sendable, Equatable {
    /// The server accepted the message for this recipient; the reply is the one to the final ".".
    case delivered(SMTPClientReply)
    /// A 4xx or a local temporary reason: retry later.
    case deferred(FailureDetail)
    /// A 5xx or a local permanent reason: bounce.
    case failed(FailureDetail)

    public var isDelivered: Bool { if case .delivered = self { true } else { false } }
    public var isDeferred: Bool { if case .deferred = self { true } else { false } }
    public var isFailed: Bool { if case .failed = self { true } else { false } }

    /// The failure, for deferred and failed results.
    public var failure: FailureDetail? {
        switch self {
        case .delivered: nil
        case .deferred(let detail), .failed(let detail): detail
        }
    }
}

/// Why a recipient was not delivered, in the terms a DSN needs (RFC 3464 §2.3).
public struct FailureDetail: Sendable, Equatable {
    /// The enhanced status code (RFC 3463), `5.1.1`; `4.0.0` / `5.0.0` when the reply had none.
    public var status: String
    /// The `Diagnostic-Code` value: `smtp; 550 5.1.1 <x@y>: no such user` for a server's reply, or
    /// `X-Loft; TLS required but not offered` for a reason of our own.
    public var diagnostic: String
    /// The server that answered (for `Remote-MTA`), nil when there was none.
    public var remoteHost: String?

    public init(status: String, diagnostic: String, remoteHost: String?) {
        self.status = status
        self.diagnostic = diagnostic
        self.remoteHost = remoteHost
    }
}
