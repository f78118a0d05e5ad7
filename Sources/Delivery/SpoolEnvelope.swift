public import Foundation

/// The envelope file of a spool entry (`queue/envelopes/<id>.json`): everything the queue runner needs to
/// relay the message to its remote recipients, and where that stands. Stored as JSON with snake_case keys
/// and times in ISO 8601; replaced atomically (`Spool.update`) after every delivery attempt.
public struct SpoolEnvelope: Sendable, Equatable, Codable {
    /// The queue id, also the name of the message file.
    public var id: String
    /// The reverse-path; empty for `<>`.
    public var sender: String
    /// The remote recipients with their DSN parameters and results.
    public var recipients: [RemoteRecipient]
    public var authenticatedUser: String?
    public var arrival: Date
    public var bodyType: BodyType
    public var smtputf8: Bool
    public var ret: DSNReturn?
    public var envid: String?
    /// `REQUIRETLS` (RFC 8689), kept with the message for every hop.
    public var requireTLS: Bool
    /// Delivery attempts made so far (each one covers every pending recipient).
    public var attempts: Int
    /// Not to be tried before this time; nil: as soon as possible.
    public var nextAttempt: Date?
    /// Whether the delay notice went out (it goes once).
    public var delayNoticeSent: Bool
    /// An admin asked (`loft queue bounce`) to give up on every pending recipient.
    public var bounceRequested: Bool
    /// The DKIM-Signature field(s) made when the queue first took the entry (folded, each ending in CRLF),
    /// sent before the message on every attempt so retries carry the same signatures; nil: unsigned.
    public var dkimSignature: String?

    public init(
        id: String, sender: String, recipients: [RemoteRecipient], authenticatedUser: String?, arrival: Date,
        bodyType: BodyType, smtputf8: Bool, ret: DSNReturn?, envid: String?, requireTLS: Bool = false, attempts: Int = 0,
        nextAttempt: Date? = nil, delayNoticeSent: Bool = false, bounceRequested: Bool = false,
        dkimSignature: String? = nil
    ) {
        self.id = id
        self.sender = sender
        self.recipients = recipients
        self.authenticatedUser = authenticatedUser
        self.arrival = arrival
        self.bodyType = bodyType
        self.smtputf8 = smtputf8
        self.ret = ret
        self.envid = envid
        self.requireTLS = requireTLS
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.delayNoticeSent = delayNoticeSent
        self.bounceRequested = bounceRequested
        self.dkimSignature = dkimSignature
    }

    /// The spool envelope of a message accepted with `envelope` under queue id `id`.
    init(id: String, envelope: DeliveryEnvelope) {
        self.init(
            id: id, sender: envelope.sender, recipients: envelope.remoteRecipients,
            authenticatedUser: envelope.authenticatedUser, arrival: envelope.arrival, bodyType: envelope.bodyType,
            smtputf8: envelope.smtputf8, ret: envelope.ret, envid: envelope.envid, requireTLS: envelope.requireTLS)
    }

    /// Recipients still to be delivered, with their index in `recipients`.
    public var pendingRecipients: [(index: Int, recipient: RemoteRecipient)] {
        recipients.enumerated().filter { $0.element.outcome == nil }.map { ($0.offset, $0.element) }
    }

    private enum CodingKeys: String, CodingKey {
        case id, sender, recipients, authenticatedUser, arrival, bodyType, smtputf8, ret, envid, requireTLS = "requireTls"
        case attempts, nextAttempt, delayNoticeSent, bounceRequested, dkimSignature
    }

    /// Envelopes written before the queue state existed have no state keys: they read as never tried.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            sender: try container.decode(String.self, forKey: .sender),
            recipients: try container.decode([RemoteRecipient].self, forKey: .recipients),
            authenticatedUser: try container.decodeIfPresent(String.self, forKey: .authenticatedUser),
            arrival: try container.decode(Date.self, forKey: .arrival),
            bodyType: try container.decode(BodyType.self, forKey: .bodyType),
            smtputf8: try container.decode(Bool.self, forKey: .smtputf8),
            ret: try container.decodeIfPresent(DSNReturn.self, forKey: .ret),
            envid: try container.decodeIfPresent(String.self, forKey: .envid),
            requireTLS: try container.decodeIfPresent(Bool.self, forKey: .requireTLS) ?? false,
            attempts: try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0,
            nextAttempt: try container.decodeIfPresent(Date.self, forKey: .nextAttempt),
            delayNoticeSent: try container.decodeIfPresent(Bool.self, forKey: .delayNoticeSent) ?? false,
            bounceRequested: try container.decodeIfPresent(Bool.self, forKey: .bounceRequested) ?? false,
            dkimSignature: try container.decodeIfPresent(String.self, forKey: .dkimSignature))
    }
}
