import Logging
import NIOCore
import Synchronization

/// Says a protocol's "come back later" to a connection over a limit, then closes it. On an
/// implicit-TLS port it sits behind the TLS handler, so the refusal goes out once the
/// handshake is done; a client that never finishes it is closed after `timeout`.
final class ConnectionRefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let line: String
    private let timeout: TimeAmount

    init(line: String, timeout: TimeAmount = .seconds(10)) {
        self.line = line
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func refuse(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
        let channel = context.channel
        context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

/// Logs a repeated event once, then at most once a minute with how many were not logged, so
/// a flood of refused connections cannot flood the log.
final class RateLimitedLog: Sendable {
    private struct State {
        var lastLogged: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let interval: Duration
    private let state = Mutex(State())

    init(interval: Duration = .seconds(60)) {
        self.interval = interval
    }

    func notice(_ message: Logger.Message, _ logger: Logger, metadata: Logger.Metadata) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { state in
            if let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state.suppressed = 0 }
            state.lastLogged = now
            return state.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["not-logged-since-last"] = "\(suppressed)" }
        logger.notice(message, metadata: metadata)
    }
}
