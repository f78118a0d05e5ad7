import NIOCore

/// First in the pipeline of a PROXY-protocol listener, before TLS (on an implicit-TLS port the
/// header comes before the ClientHello): reads the header, hands it to `received` (which builds the
/// rest of the pipeline behind this handler), passes on whatever followed the header, and leaves.
/// A connection whose first bytes are no valid header, or that sends none within `timeout`, is
/// reported to `refused` and closed: a PROXY listener never falls back to a direct connection.
///
/// Not Sendable: use it on its channel's event loop only.
public final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let received: (ProxyHeader) throws -> Void
    private let refused: (String) -> Void
    private var pending = ByteBuffer()
    private var deadline: Scheduled<Void>?
    private var isDone = false

    /// `received` runs once, on the event loop, with the header; `refused` with the reason a
    /// connection is closed instead.
    public init(
        timeout: TimeAmount, received: @escaping (ProxyHeader) throws -> Void,
        refused: @escaping (String) -> Void
    ) {
        self.timeout = timeout
        self.received = received
        self.refused = refused
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startClock(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        startClock(context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isDone else { return }
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        let header: ProxyHeader
        do {
            guard let parsed = try ProxyHeaderParser.parse(&pending) else { return }
            header = parsed
        } catch {
            refuse(error.description, context: context)
            return
        }
        isDone = true
        deadline?.cancel()
        do {
            try received(header)
        } catch {
            refuse("setting up the connection failed: \(error)", context: context)
            return
        }
        if pending.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(pending))
        }
        pending = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !isDone else { return context.fireErrorCaught(error) }
        refuse("connection error before the PROXY header: \(error)", context: context)
    }

    private func startClock(context: ChannelHandlerContext) {
        guard deadline == nil, !isDone else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard !isDone else { return }
            refuse("no PROXY header within \(timeout.nanoseconds / 1_000_000) ms", context: context)
        }
    }

    private func refuse(_ reason: String, context: ChannelHandlerContext) {
        isDone = true
        deadline?.cancel()
        refused(reason)
        context.close(promise: nil)
    }
}
