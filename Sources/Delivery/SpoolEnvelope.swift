public import Foundation

/// The envelope file of a spool entry (`queue/envelopes/<id>.json`): everything the queue runner needs to
/// relay the message to its remote recipients. Stored as JSON with snake_case keys and the arrival time in
/// ISO 8601.
public struct SpoolEnvelope: Sendable, Equatable, Codable {
    /// The queue id, also the name of the message file.
    public var id: String
    /// The reverse-path; empty for `<>`.
    public var sender: String
    /// The remote recipients with their DSN parameters.
    public var recipients: [RemoteRecipient]
    public var authenticatedUser: String?
    public var arrival: Date
    public var bodyType: BodyType
    public var smtputf8: Bool
    public var ret: DSNReturn?
    public var envid: String?

    public init(
        id: String, sender: String, recipients: [RemoteRecipient], authenticatedUser: String?, arrival: Date,
        bodyType: BodyType, smtputf8: Bool, ret: DSNReturn?, envid: String?
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
    }

    /// The spool envelope of a message accepted with `envelope` under queue id `id`.
    init(id: String, envelope: DeliveryEnvelope) {
        self.init(
            id: id, sender: envelope.sender, recipients: envelope.remoteRecipients,
            authenticatedUser: envelope.authenticatedUser, arrival: envelope.arrival, bodyType: envelope.bodyType,
            smtputf8: envelope.smtputf8, ret: envelope.ret, envid: envelope.envid)
    }
}
