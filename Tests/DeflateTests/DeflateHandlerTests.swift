import Deflate
import LineProtocol
import NIOCore
import NIOEmbedded
import Testing

/// The COMPRESS=DEFLATE layer on embedded channels: one channel's compressed output is another's
/// input. Interoperability with another zlib user (Python) is in the IMAP end-to-end tests.
@Suite struct DeflateHandlerTests {
    /// Records what the layer hands on and asks for input only when the test says so, as a
    /// protocol handler whose input is full would.
    final class Receiver: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        var chunks: [ByteBuffer] = []
        var holdReads = false
        var heldRead = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            chunks.append(unwrapInboundIn(data))
        }

        func read(context: ChannelHandlerContext) {
            if holdReads { heldRead = true } else { context.read() }
        }

        /// Lets one held read through; later ones are held again.
        func releaseOne(context: ChannelHandlerContext) {
            if heldRead {
                heldRead = false
                context.read()
            }
        }

        var text: String { chunks.map { String(buffer: $0) }.joined() }
    }

    static func channel(slots: CompressionSlots = CompressionSlots(limit: 10)) throws -> (EmbeddedChannel, Receiver) {
        let receiver = Receiver()
        let channel = EmbeddedChannel()
        let layer = try #require(DeflateHandler(slots: slots))
        try channel.pipeline.syncOperations.addHandlers([layer, receiver])
        return (channel, receiver)
    }

    /// Everything the channel wrote to the "socket" so far, as one buffer.
    static func written(_ channel: EmbeddedChannel) throws -> ByteBuffer {
        var all = ByteBuffer()
        while var piece = try channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&piece) }
        return all
    }

    @Test("what one side writes and flushes, the other reads back exactly, burst by burst")
    func roundTrip() throws {
        let (server, _) = try Self.channel()
        let (client, received) = try Self.channel()
        let bursts = [
            "* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] ready\r\n",
            (0..<400).map { "* \($0) FETCH (FLAGS (\\Seen) UID \($0 + 1000))\r\n" }.joined(),
            "a1 OK done\r\n",
        ]
        for burst in bursts {
            // Written in pieces, flushed once: the peer must be able to read the burst whole.
            var rest = ByteBuffer(string: burst)
            while let piece = rest.readSlice(length: min(100, rest.readableBytes)), piece.readableBytes > 0 {
                server.write(piece, promise: nil)
            }
            server.flush()
            let wire = try Self.written(server)
            // Z_SYNC_FLUSH ends every burst with an empty stored block: 00 00 FF FF.
            #expect(Array(wire.readableBytesView.suffix(4)) == [0, 0, 0xFF, 0xFF])
            let before = received.text.count
            try client.writeInbound(wire)
            client.read()
            #expect(String(received.text.dropFirst(before)) == burst)
        }
        let plain = bursts.joined().utf8.count
        let compressed = try { () -> Int in
            let (again, _) = try Self.channel()
            again.write(ByteBuffer(string: bursts.joined()), promise: nil)
            again.flush()
            return try Self.written(again).readableBytes
        }()
        #expect(compressed * 5 < plain, "IMAP responses compress at least 5:1 (\(plain) → \(compressed))")
    }

    @Test("a small burst that inflates to 8 MiB comes in 16 KiB chunks, one per read the receiver asks for")
    func decompressionBomb() throws {
        let (sender, _) = try Self.channel()
        sender.write(ByteBuffer(repeating: UInt8(ascii: "A"), count: 8 << 20), promise: nil)
        sender.flush()
        let wire = try Self.written(sender)
        #expect(wire.readableBytes < 20_000)

        let (channel, receiver) = try Self.channel()
        receiver.holdReads = true
        try channel.writeInbound(wire)
        #expect(receiver.chunks.count == 1, "one chunk for the socket read, then nothing until asked")
        #expect(receiver.chunks[0].readableBytes == 16 * 1024)
        for _ in 0..<3 {
            receiver.releaseOne(context: try channel.pipeline.syncOperations.context(handler: receiver))
        }
        #expect(receiver.chunks.count == 4)
        receiver.holdReads = false
        channel.read()
        #expect(receiver.chunks.allSatisfy { $0.readableBytes <= 16 * 1024 })
        #expect(receiver.chunks.reduce(0) { $0 + $1.readableBytes } == 8 << 20)
        let full = ByteBuffer(repeating: UInt8(ascii: "A"), count: 16 * 1024)
        #expect(receiver.chunks.allSatisfy { $0 == full })
    }

    @Test("bytes that are not DEFLATE are an error that closes the connection, not a crash")
    func garbage() throws {
        let (channel, receiver) = try Self.channel()
        // 0xFF: a block header with BTYPE 11, which RFC 1951 §3.2.3 reserves (an error).
        #expect(throws: (any Error).self) { try channel.writeInbound(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])) }
        #expect(receiver.chunks.isEmpty)
    }

    @Test("compressed bytes that came with the COMPRESS command are decompressed first")
    func pending() throws {
        let (sender, _) = try Self.channel()
        sender.write(ByteBuffer(string: "a2 NOOP\r\n"), promise: nil)
        sender.flush()
        let wire = try Self.written(sender)
        let receiver = Receiver()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(receiver)
        let layer = try #require(DeflateHandler(slots: CompressionSlots(limit: 1), pending: wire))
        try channel.pipeline.syncOperations.addHandler(layer, position: .before(receiver))
        #expect(receiver.text == "a2 NOOP\r\n")
    }

    @Test("the cap on compressed connections: a slot is taken per layer and given back when its channel closes")
    func slots() throws {
        let slots = CompressionSlots(limit: 2)
        let (first, _) = try Self.channel(slots: slots)
        let (second, _) = try Self.channel(slots: slots)
        #expect(slots.inUse == 2)
        #expect(DeflateHandler(slots: slots) == nil)
        _ = try first.finish()
        #expect(slots.inUse == 1)
        let third = DeflateHandler(slots: slots)
        #expect(third != nil)
        _ = try second.finish()
    }
}

@Suite struct DeflateHandlerLifetimeTests {
    @Test("a closed connection's layer is freed, with its zlib state")
    func freed() throws {
        weak var weakLayer: DeflateHandler?
        let slots = CompressionSlots(limit: 1)
        do {
            let channel = EmbeddedChannel()
            let layer = try #require(DeflateHandler(slots: slots))
            weakLayer = layer
            try channel.pipeline.syncOperations.addHandler(layer)
            channel.write(ByteBuffer(string: "* OK hello\r\n"), promise: nil)
            channel.flush()
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
        #expect(weakLayer == nil)
        #expect(slots.inUse == 0)
    }
}
