public import Foundation

/// What SMTP knows about a message besides its bytes: who sent it, where it goes, and the ESMTP parameters
/// the outbound queue must honour.
public struct DeliveryEnvelope: Sendable, Equatable {
    /// The reverse-path of `MAIL FROM`, `local@domain`; empty for the null reverse-path `<>`.
    public var sender: String
    /// Recipients in local Maildirs. Two recipients with the same Maildir get one copy.
    public var localRecipients: [LocalRecipient]
    /// Recipients for the outbound queue.
    public var remoteRecipients: [RemoteRecipient]
    /// The SASL identity that submitted the message, nil if unauthenticated.
    public var authenticatedUser: String?
    /// When the message was accepted.
    public var arrival: Date
    /// `BODY=` of `MAIL FROM`.
    public var bodyType: BodyType
    /// Whether `MAIL FROM` carried `SMTPUTF8` (RFC 6531 §3.4).
    public var smtputf8: Bool
    /// `RET=` of `MAIL FROM` (RFC 3461 §4.3), nil when absent.
    public var ret: DSNReturn?
    /// `ENVID=` of `MAIL FROM` as received, xtext-encoded (RFC 3461 §4.4), nil when absent.
    public var envid: String?
    /// `REQUIRETLS` of `MAIL FROM` (RFC 8689): relay only over verified TLS to hosts that offer it.
    public var requireTLS: Bool

    public init(
        sender: String,
        localRecipients: [LocalRecipient] = [],
        remoteRecipients: [RemoteRecipient] = [],
        authenticatedUser: String? = nil,
        arrival: Date = Date(),
        bodyType: BodyType = .sevenBit,
        smtputf8: Bool = false,
        ret: DSNReturn? = nil,
        envid: String? = nil,
        requireTLS: Bool = false
    ) {
        self.requireTLS = requireTLS
        self.sender = sender
        self.localRecipients = localRecipients
        self.remoteRecipients = remoteRecipients
        self.authenticatedUser = authenticatedUser
        self.arrival = arrival
        self.bodyType = bodyType
        self.smtputf8 = smtputf8
        self.ret = ret
        self.envid = envid
    }
}
