import NIOCore

/// The COMPRESS hook (RFC 4978). `LoftServer` gives IMAP listeners one; protocol targets never
/// import zlib. `makeLayer` returns the channel handler that compresses what the server sends
/// and decompresses what it receives, holding one of the server's compression slots until the
/// connection closes, or nil when every slot is taken. `pending` holds the bytes the client sent
/// after its COMPRESS command: they are already compressed.
public struct CompressionUpgrade: Sendable {
    private let makeLayer: @Sendable (_ pending: ByteBuffer) -> (any ChannelHandler)?

    public init(_ makeLayer: @escaping @Sendable (_ pending: ByteBuffer) -> (any ChannelHandler)?) {
        self.makeLayer = makeLayer
    }

    func layer(pending: ByteBuffer) -> (any ChannelHandler)? {
        makeLayer(pending)
    }
}

/// What `LineConnection.startCompression` did.
public enum CompressionStart: Sendable, Equatable {
    /// The reply went out uncompressed; everything after it is compressed, both ways.
    case started
    /// This listener does not offer compression; nothing was sent.
    case notOffered
    /// The server's cap on compressed connections is reached; nothing was sent.
    case noSlot
}
