import LineProtocol
import NIOCore

/// The COMPRESS=DEFLATE layer (RFC 4978), between TLS and the protocol handler: what the
/// protocol writes is compressed and sync-flushed on every channel flush, what arrives is
/// decompressed. Decompressed input is handed on in chunks of `chunkSize`, one per read the
/// protocol asks for, so a small compressed burst (DEFLATE expands up to 1032:1) cannot
/// bypass the protocol's own input limits.
public final class DeflateHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The compressor's parameters. The window is the peer's choice for what it sends us (so the
    /// decompressor takes up to 32 KiB); for what we send it is ours. A 4 KiB window and memLevel
    /// 5 cost about 38 KiB against zlib's default 262 KiB and compress IMAP traffic almost as well
    /// (BENCHMARKS.md, "IMAP COMPRESS").
    public struct Settings: Sendable {
        public var level: Int32 = 6
        public var windowBits: Int32 = 12
        public var memLevel: Int32 = 5
        public init() {}
    }

    static let chunkSize = 16 * 1024

    private let settings: Settings
    private let slots: CompressionSlots
    private var holdsSlot = true
    private var compressor: ZlibStream?
    private var decompressor: ZlibStream?
    /// Received and not yet decompressed.
    private var compressed: ByteBuffer
    /// The decompressor may hold output it had no room for.
    private var decompressorHasMore = false
    /// The protocol asked for input that has not been given yet.
    private var readWanted = false
    private var delivering = false
    /// The promises of writes since the last flush: they complete with the flushed output.
    private var unflushed: EventLoopPromise<Void>?

    /// Takes one of `slots`, or returns nil when none is free. `pending`: compressed bytes that
    /// arrived with the COMPRESS command.
    public init?(slots: CompressionSlots, settings: Settings = Settings(), pending: ByteBuffer = ByteBuffer()) {
        guard slots.take() else { return nil }
        self.slots = slots
        self.settings = settings
        self.compressed = pending
    }

    deinit {
        releaseSlot()
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        do {
            compressor = try ZlibStream(
                compressionLevel: settings.level, windowBits: settings.windowBits, memLevel: settings.memLevel)
            decompressor = try ZlibStream()
        } catch {
            context.fireErrorCaught(error)
            return
        }
        if compressed.readableBytes > 0 {
            readWanted = true
            deliver(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        compressor?.end()
        decompressor?.end()
        compressor = nil
        decompressor = nil
        unflushed?.fail(ChannelError.ioOnClosedChannel)
        unflushed = nil
        releaseSlot()
    }

    private func releaseSlot() {
        if holdsSlot {
            holdsSlot = false
            slots.release()
        }
    }

    // MARK: - Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        compressed.writeBuffer(&bytes)
        // This socket read answers a read the protocol asked for.
        readWanted = true
        deliver(context: context)
    }

    /// Each chunk is followed by its own read-complete, so the socket's is not passed on.
    public func channelReadComplete(context: ChannelHandlerContext) {}

    public func read(context: ChannelHandlerContext) {
        readWanted = true
        deliver(context: context)
    }

    /// Hands decompressed chunks on while the protocol wants them; asks the socket for more
    /// once everything received is through.
    private func deliver(context: ChannelHandlerContext) {
        guard !delivering, let decompressor else { return }
        delivering = true
        defer { delivering = false }
        while readWanted, compressed.readableBytes > 0 || decompressorHasMore {
            readWanted = false
            let output: ByteBuffer
            do {
                (output, decompressorHasMore) = try decompressor.decompress(&compressed, limit: Self.chunkSize)
            } catch {
                compressed.clear()
                context.fireErrorCaught(error)
                return
            }
            guard output.readableBytes > 0 else {
                readWanted = true  // the chunk was all headers or an incomplete block: read on
                break
            }
            context.fireChannelRead(wrapInboundOut(output))
            context.fireChannelReadComplete()
            // As auto-read does after a socket read: the protocol's read() sets readWanted again
            // (re-entering here only to set it) or, while it is busy, comes later.
            context.pipeline.read()
        }
        if readWanted, compressed.readableBytes == 0, !decompressorHasMore {
            readWanted = false
            context.read()
        }
    }

    // MARK: - Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let promise {
            if let unflushed { unflushed.futureResult.cascade(to: promise) } else { unflushed = promise }
        }
        guard let compressor else { return }
        var output = ByteBuffer()
        do {
            try compressor.compress(unwrapOutboundIn(data), flush: false, into: &output)
        } catch {
            context.fireErrorCaught(error)
            return
        }
        if output.readableBytes > 0 { context.write(wrapOutboundOut(output), promise: nil) }
    }

    public func flush(context: ChannelHandlerContext) {
        let promise = unflushed
        unflushed = nil
        guard let compressor else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var output = ByteBuffer()
        do {
            try compressor.compress(ByteBuffer(), flush: true, into: &output)
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
            return
        }
        if output.readableBytes > 0 || promise != nil { context.write(wrapOutboundOut(output), promise: promise) }
        context.flush()
    }
}

extension CompressionUpgrade {
    /// The hook for a listener that offers COMPRESS=DEFLATE, sharing `slots` with every other.
    public static func deflate(slots: CompressionSlots, settings: DeflateHandler.Settings = .init()) -> CompressionUpgrade {
        CompressionUpgrade { pending in DeflateHandler(slots: slots, settings: settings, pending: pending) }
    }
}
