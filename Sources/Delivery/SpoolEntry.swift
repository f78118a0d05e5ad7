/// One complete entry of the outbound queue: a durable message file and its envelope.
public struct SpoolEntry: Sendable, Equatable {
    public var envelope: SpoolEnvelope
    /// The absolute path of the message file (`queue/messages/<id>`), exactly the bytes submitted.
    public var messagePath: String

    /// The queue id.
    public var id: String { envelope.id }

    public init(envelope: SpoolEnvelope, messagePath: String) {
        self.envelope = envelope
        self.messagePath = messagePath
    }
}
