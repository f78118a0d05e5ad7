import NIOCore

/// An SMTP command (RFC 5321 §4.1.1 plus the extensions Loft offers).
public enum SMTPCommand: Equatable, Sendable {
    case ehlo(String)
    case helo(String)
    case mail(SMTPMailFrom)
    case rcpt(SMTPRcptTo)
    case data
    /// RFC 3030 §2: `BDAT chunk-size [SP "LAST"]`.
    case bdat(size: Int, last: Bool)
    case rset
    case noop
    case quit
    case help
    case vrfy(String)
    case startTLS
    /// RFC 4954 §4; `initialResponse` is the base64 text as sent (`=` for empty).
    case auth(mechanism: String, initialResponse: String?)
}

/// `MAIL FROM:<reverse-path> [SP mail-parameters]` with the parameters Loft understands.
public struct SMTPMailFrom: Equatable, Sendable {
    /// "" for the null reverse-path `<>`.
    public var address: String
    public var size: Int?
    public var body: SMTPEnvelope.BodyType?
    public var smtpUTF8 = false
    public var ret: String?
    public var envelopeID: String?
    /// `REQUIRETLS` (RFC 8689 §4.1): relay only over verified TLS.
    public var requireTLS = false
    /// Whether any ESMTP parameter was given (they need EHLO, RFC 5321 §4.1.1.11).
    public var hasParameters = false

    public init(address: String, size: Int? = nil, body: SMTPEnvelope.BodyType? = nil, smtpUTF8: Bool = false,
                ret: String? = nil, envelopeID: String? = nil, requireTLS: Bool = false, hasParameters: Bool = false) {
        self.requireTLS = requireTLS
        self.address = address
        self.size = size
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.ret = ret
        self.envelopeID = envelopeID
        self.hasParameters = hasParameters
    }
}

/// `RCPT TO:<forward-path> [SP rcpt-parameters]`.
public struct SMTPRcptTo: Equatable, Sendable {
    public var recipient: SMTPRecipient
    public var hasParameters = false

    public init(recipient: SMTPRecipient, hasParameters: Bool = false) {
        self.recipient = recipient
        self.hasParameters = hasParameters
    }
}

/// Why a line is not a valid command, as the reply to send.
public struct SMTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reply: SMTPReply
    public init(_ code: Int, _ text: String) { reply = SMTPReply(code, text) }
    public var description: String { reply.description }
}
