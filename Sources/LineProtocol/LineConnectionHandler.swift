import Logging
import NIOCore

/// The channel handler of every line-protocol connection: forwards socket events to the
/// shared `LineConnection` and holds back `read()` while that connection wants no input (the
/// outbound `read` is what NIO's auto-read issues, so holding it stops reading the socket).
/// Protocols name it through their driver, e.g. `POP3ServerHandler`.
public final class LineConnectionHandler<Driver: LineProtocolDriver>: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public let driver: Driver
    public let connection: LineConnection

    public init(driver: Driver, limits: ConnectionLimits, services: ConnectionServices, logger: Logger) {
        self.driver = driver
        self.connection = LineConnection(driver: driver, limits: limits, services: services, logger: logger)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        connection.attach(context)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        connection.closed()
    }

    public func channelActive(context: ChannelHandlerContext) {
        connection.start()
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        connection.received(&bytes)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as TLSHandshakeCompleted:
            connection.tlsEstablished(event.info)
        case is ServerShuttingDown:
            connection.shutdownRequested()
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        connection.closed()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.logger.notice("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    public func read(context: ChannelHandlerContext) {
        connection.read()
    }
}
