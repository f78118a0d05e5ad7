import Foundation
import LineProtocol

/// One RCPT TO: the address and its DSN parameters (RFC 3461 §4).
public struct SMTPRecipient: Sendable, Equatable {
    public var address: String
    /// `NOTIFY=`: `["NEVER"]` or some of `SUCCESS`, `FAILURE`, `DELAY` (upper-cased); nil when absent.
    public var notify: [String]?
    /// `ORCPT=` exactly as sent: `addr-type;xtext`, e.g. `rfc822;bob+2Bx@example.org`.
    public var originalRecipient: String?

    public init(address: String, notify: [String]? = nil, originalRecipient: String? = nil) {
        self.address = address
        self.notify = notify
        self.originalRecipient = originalRecipient
    }
}

/// Everything known about one accepted message besides its content.
public struct SMTPEnvelope: Sendable, Equatable {
    /// `BODY=` (RFC 6152). BINARYMIME is not offered.
    public enum BodyType: String, Sendable, Equatable {
        case sevenBit = "7BIT"
        case eightBitMIME = "8BITMIME"
    }

    /// The id in `Received:` and in `250 2.0.0 Ok: queued as <id>`; unique per message.
    public var queueID: String
    /// The reverse-path; never empty for submission (the null sender `<>` is refused).
    public var sender: String
    public var recipients: [SMTPRecipient]
    /// The canonical login that submitted the message.
    public var authenticatedUser: String
    public var body: BodyType
    /// `SMTPUTF8` was given on MAIL FROM (RFC 6531 §3.4).
    public var smtpUTF8: Bool
    /// `RET=FULL` or `RET=HDRS` (RFC 3461 §4.3), upper-cased.
    public var ret: String?
    /// `ENVID=` exactly as sent (xtext, RFC 3461 §4.4).
    public var envelopeID: String?
    /// `REQUIRETLS` was given on MAIL FROM (RFC 8689 §4.1).
    public var requireTLS: Bool
    /// `SIZE=` as declared (RFC 1870).
    public var declaredSize: Int?
    public var clientIP: String
    /// The EHLO/HELO argument.
    public var heloName: String
    /// The TLS session the message came over, nil in plaintext.
    public var tls: TLSSessionInfo?
    public var receivedAt: Date

    public init(
        queueID: String, sender: String, recipients: [SMTPRecipient], authenticatedUser: String,
        body: BodyType = .sevenBit, smtpUTF8: Bool = false, ret: String? = nil, envelopeID: String? = nil,
        requireTLS: Bool = false, declaredSize: Int? = nil, clientIP: String, heloName: String, tls: TLSSessionInfo? = nil, receivedAt: Date
    ) {
        self.queueID = queueID
        self.sender = sender
        self.recipients = recipients
        self.authenticatedUser = authenticatedUser
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.ret = ret
        self.envelopeID = envelopeID
        self.requireTLS = requireTLS
        self.declaredSize = declaredSize
        self.clientIP = clientIP
        self.heloName = heloName
        self.tls = tls
        self.receivedAt = receivedAt
    }
}
