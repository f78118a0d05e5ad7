import LineProtocol
import NIOCore
import TLS

/// Test-only line protocol behind the TLS handler: greets in channelActive and answers lines.
/// INFO -> the session seen in TLSHandshakeCompleted; EMPTY -> an empty write between two lines; QUIT -> "+OK bye" and close;
/// STARTTLS (plaintext listeners only) -> "OK", then the TLS handler goes in at .first;
/// anything else is echoed.
final class LineTestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let log: EventLog
    private let makeTLSHandler: (() -> TLSServerHandler)?
    private var buffer: [UInt8] = []
    private var session: TLSSessionInfo?

    init(log: EventLog, startTLS makeTLSHandler: (() -> TLSServerHandler)? = nil) {
        self.log = log
        self.makeTLSHandler = makeTLSHandler
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context, "+OK ready")
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer += unwrapInboundIn(data).readableBytesView
        while let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var lineBytes = buffer[..<end]
            if lineBytes.last == UInt8(ascii: "\r") { lineBytes = lineBytes.dropLast() }
            let line = String(decoding: lineBytes, as: UTF8.self)
            buffer.removeSubrange(...end)
            switch line {
            case "INFO":
                let info = session
                send(context, "INFO version=\(info?.version ?? "none") sni=\(info?.serverName ?? "none") "
                     + "alpn=\(info?.applicationProtocol ?? "none")")
            case "EMPTY":
                // An empty write between two lines: all three promises must complete in order.
                let log = self.log
                send(context, "+OK before empty", logAs: "write 1 done")
                let empty = context.eventLoop.makePromise(of: Void.self)
                empty.futureResult.whenSuccess { log.append("write 2 done") }
                context.write(wrapOutboundOut(ByteBuffer()), promise: empty)
                send(context, "+OK after empty", logAs: "write 3 done")
            case "QUIT":
                send(context, "+OK bye")
                context.close(promise: nil)
                return
            case "STARTTLS" where makeTLSHandler != nil:
                send(context, "OK")
                buffer = []  // never read pipelined plaintext as commands
                do {
                    try context.pipeline.syncOperations.addHandler(makeTLSHandler!(), position: .first)
                } catch {
                    log.append("starttls failed \(error)")
                    context.close(promise: nil)
                }
                return
            default:
                send(context, "ECHO \(line)")
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted {
            session = completed.info
            log.append("handshake \(completed.info.version)")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? TLSError {
            log.append("error \(error.kind)")
            log.append("error text \(error)")
        } else {
            log.append("error other \(error)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        log.append("inactive")
        context.fireChannelInactive()
    }

    private func send(_ context: ChannelHandlerContext, _ line: String, logAs entry: String? = nil) {
        var promise: EventLoopPromise<Void>?
        if let entry {
            let log = self.log
            promise = context.eventLoop.makePromise()
            promise!.futureResult.whenSuccess { log.append(entry) }
        }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: promise)
    }
}
