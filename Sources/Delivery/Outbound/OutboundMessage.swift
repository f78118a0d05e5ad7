/// One message to relay over one SMTP connection: the envelope the client sends and what decides which
/// extensions it needs.
public struct OutboundMessage: Sendable, Equatable {
    /// The reverse-path; "" for `<>` (bounces).
    public var sender: String
    /// The recipients to send `RCPT TO` for, in order; results come back index-aligned.
    public var recipients: [RemoteRecipient]
    /// Bytes of the stored message, for `SIZE=` (RFC 1870 §6).
    public var size: Int
    public var bodyType: BodyType
    /// `MAIL FROM` carried SMTPUTF8, or an address is not ASCII (RFC 6531 §3.2).
    public var needsSMTPUTF8: Bool
    /// `RET=` to pass on when the server offers DSN.
    public var ret: DSNReturn?
    /// `ENVID=` as stored (already xtext) to pass on when the server offers DSN.
    public var envid: String?
    /// The message was submitted with REQUIRETLS (RFC 8689 §4).
    public var requireTLS: Bool

    public init(
        sender: String, recipients: [RemoteRecipient], size: Int, bodyType: BodyType = .sevenBit,
        needsSMTPUTF8: Bool = false, ret: DSNReturn? = nil, envid: String? = nil, requireTLS: Bool = false
    ) {
        self.sender = sender
        self.recipients = recipients
        self.size = size
        self.bodyType = bodyType
        self.needsSMTPUTF8 = needsSMTPUTF8
        self.ret = ret
        self.envid = envid
        self.requireTLS = requireTLS
    }

    /// The message of a spool entry, for the recipients routed to one destination. `needsSMTPUTF8` is set when
    /// the envelope had SMTPUTF8 or any address in it is not ASCII.
    public init(envelope: SpoolEnvelope, recipients: [RemoteRecipient], size: Int) {
        let addresses = [envelope.sender] + recipients.map(\.address)
        self.init(
            sender: envelope.sender, recipients: recipients, size: size, bodyType: envelope.bodyType,
            needsSMTPUTF8: envelope.smtputf8 || addresses.contains { !$0.utf8.allSatisfy { $0 < 0x80 } },
            ret: envelope.ret, envid: envelope.envid, requireTLS: envelope.requireTLS)
    }
}

/// When the client uses TLS on a connection.
public enum ClientTLSMode: Sendable, Equatable {
    /// Never STARTTLS, even when offered.
    case none
    /// STARTTLS when the server offers it, plaintext otherwise (RFC 3207 as deployed).
    case opportunistic
    /// STARTTLS must be offered and succeed (DANE, MTA-STS enforce, a smarthost policy); otherwise defer.
    case required
    /// The glue already did TLS before the greeting (port 465, RFC 8314 §3.3): no STARTTLS.
    case implicit
}

/// A smarthost login (RFC 4954), sent with AUTH PLAIN (or LOGIN), and only over an encrypted connection.
public struct ClientCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// What the glue must do next for an `SMTPClientSession`.
public enum SMTPClientAction: Sendable, Equatable {
    /// Write these command lines (without CRLF) in one write; several lines are a PIPELINING batch (RFC 2920).
    case send([String])
    /// The server answered 220 to STARTTLS: insert the TLS client handler, check the policy, then call
    /// `tlsEstablished()` or `tlsRejected(reason:)`. Nothing buffered before this point may be used after it.
    case startTLS
    /// The server answered 354 to DATA: stream the dot-stuffed message and the final ".", then feed the next reply.
    case sendMessage
    /// Close the connection (after QUIT's reply, or at once on a protocol error).
    case close
}
