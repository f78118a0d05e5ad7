import LineProtocol
import Logging
import NIOCore

/// Channel glue for one POP3 connection: frames lines, feeds the `POP3Session`, and carries
/// out its actions. Blocking work (password checks, Maildir access) runs on `blockingWork`;
/// while it runs no further pipelined line is read (RFC 2449 §6.6 keeps responses in order).
public final class POP3ServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var session: POP3Session
    private let backend: any POP3Backend
    private let blockingWork: any BlockingWorkRunner
    private let startTLS: StartTLSUpgrade?
    private var logger: Logger

    private var framer: LineFramer
    private var input = ByteBuffer()
    private var waitingForResult = false
    private var started = false
    private var maildrop: (any POP3Maildrop)?
    private var clientIP = "unknown"
    private let idleTimer: IdleTimer

    public init(
        configuration: POP3Session.Configuration,
        backend: any POP3Backend,
        blockingWork: any BlockingWorkRunner,
        startTLS: StartTLSUpgrade?,
        logger: Logger
    ) {
        self.session = POP3Session(configuration: configuration)
        self.backend = backend
        self.blockingWork = blockingWork
        self.startTLS = startTLS
        self.logger = logger
        self.framer = LineFramer(maxLineLength: configuration.limits.maxLineLength)
        self.idleTimer = IdleTimer(timeout: configuration.limits.idleTimeout)
    }

    private var limits: POP3Limits { session.configuration.limits }

    // MARK: - Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let address = context.channel.remoteAddress {
            clientIP = address.ipAddress ?? "unknown"
            logger[metadataKey: "peer"] = "\(clientIP):\(address.port ?? 0)"
        }
        logger.info("connected")
        send(session.greeting, context: context)
        idleTimer.start(on: context.eventLoop, isPaused: { self.waitingForResult || self.session.isClosed }) {
            self.logger.info("idle timeout")
            self.perform(self.session.idleTimeoutFired(), context: context)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        idleTimer.touch()
        guard !session.isClosed else { return }
        if waitingForResult && input.readableBytes + bytes.readableBytes > limits.maxBufferedInput {
            perform(.replyAndClose("-ERR Too much pipelined input."), context: context)
            return
        }
        input.writeBuffer(&bytes)
        processInput(context: context)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as TLSHandshakeCompleted:
            session.tlsEstablished()
            logger[metadataKey: "tls"] = "\(event.info.version) \(event.info.cipher)"
            logger.info("TLS established", metadata: [
                "version": "\(event.info.version)", "cipher": "\(event.info.cipher)",
                "sni": "\(event.info.serverName ?? "-")",
            ])
            processInput(context: context)
        case is ServerShuttingDown:
            // A commit of deletions in flight finishes and answers QUIT itself.
            if !session.isCommitting && !session.isClosed {
                perform(session.serverShuttingDown(), context: context)
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        session.connectionClosed()
        idleTimer.cancel()
        maildrop?.release()
        maildrop = nil
        logger.info("disconnected")
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.notice("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Lines

    private func processInput(context: ChannelHandlerContext) {
        while !waitingForResult, !session.isClosed, let frame = framer.next(from: &input) {
            switch frame {
            case .line(let line):
                perform(session.lineReceived(line), context: context)
            case .tooLong:
                perform(session.lineTooLong(), context: context)
            }
        }
        input.discardReadBytes()
    }

    // MARK: - Actions

    private func perform(_ action: POP3Session.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .reply(let line):
            send(line, context: context)
        case .replyMultiline(let first, let lines):
            var buffer = context.channel.allocator.buffer(capacity: 64 + lines.count * 24)
            buffer.writeString(first)
            buffer.writeStaticString("\r\n")
            DotStuffing.encode(lines.joined(separator: "\r\n").utf8, into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .replyAndClose(let line):
            closeAfter(line, context: context)
        case .startTLS(let reply):
            upgradeToTLS(reply: reply, context: context)
        case .authenticate(let username, let password):
            authenticate(username: username, password: password, context: context)
        case .openMaildrop(let login):
            openMaildrop(login: login, context: context)
        case .retrieve(let index, let size, let topLines):
            retrieve(index: index, size: size, topLines: topLines, context: context)
        case .commitDeletions(let indices):
            commitDeletions(indices, context: context)
        }
    }

    private func send(_ line: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func closeAfter(_ line: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// RFC 2595 §4 and CVE-2011-0411: the reply goes out in plaintext, every byte the client
    /// pipelined after STLS is thrown away, and TLS sits in front before the next read.
    private func upgradeToTLS(reply: String, context: ChannelHandlerContext) {
        guard let startTLS else {
            send("-ERR STLS is not offered on this port.", context: context)
            return
        }
        send(reply, context: context)
        do {
            let discarded = try startTLS.start(discarding: &input, framer: &framer, pipeline: context.pipeline.syncOperations)
            if discarded > 0 {
                logger.notice("discarded plaintext pipelined after STLS", metadata: ["bytes": "\(discarded)"])
            }
        } catch {
            logger.error("could not start TLS", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// The failure penalty delays only this client's attempt; the loop stays free.
    private func authenticate(username: String, password: String, context: ChannelHandlerContext) {
        waitingForResult = true
        let backend = self.backend
        let clientIP = self.clientIP
        blockingWork.run(after: backend.failureDelay(clientIP: clientIP), on: context.eventLoop) {
            backend.authenticate(username: username, password: password, clientIP: clientIP)
        }.assumeIsolated().whenComplete { outcome in
            let authResult: POP3AuthResult
            switch outcome {
            case .success(let value): authResult = value
            case .failure(let error): authResult = .temporaryFailure("\(error)")
            }
            switch authResult {
            case .success(let login): self.logger.info("login", metadata: ["user": "\(login)", "outcome": "ok"])
            case .failure: self.logger.notice("login", metadata: ["user": "\(username)", "outcome": "failed"])
            case .temporaryFailure(let why):
                self.logger.error("login", metadata: ["user": "\(username)", "outcome": "tempfail", "error": "\(why)"])
            }
            self.resume(with: self.session.authenticated(authResult), context: context)
        }
    }

    private func openMaildrop(login: String, context: ChannelHandlerContext) {
        waitingForResult = true
        let backend = self.backend
        blockingWork.run(on: context.eventLoop) { () -> Result<any POP3Maildrop, POP3MaildropError> in
            do throws(POP3MaildropError) {
                return .success(try backend.openMaildrop(login: login))
            } catch {
                return .failure(error)
            }
        }.assumeIsolated().whenComplete { outcome in
            let opened: Result<any POP3Maildrop, POP3MaildropError>
            switch outcome {
            case .success(let result): opened = result
            case .failure(let error): opened = .failure(.unavailable("\(error)"))
            }
            switch opened {
            case .success(let maildrop):
                guard !self.session.isClosed else {
                    maildrop.release()
                    return
                }
                self.maildrop = maildrop
                self.logger[metadataKey: "user"] = "\(login)"
                self.resume(with: self.session.maildropOpened(.success(maildrop.messages)), context: context)
            case .failure(let error):
                self.logger.notice("maildrop not opened", metadata: ["user": "\(login)", "error": "\(error)"])
                self.resume(with: self.session.maildropOpened(.failure(error)), context: context)
            }
        }
    }

    private func retrieve(index: Int, size: Int, topLines: Int?, context: ChannelHandlerContext) {
        guard let maildrop else { return }
        waitingForResult = true
        blockingWork.run(on: context.eventLoop) { () -> ByteBuffer in
            let message = try maildrop.retrieve(index)
            var buffer = ByteBufferAllocator().buffer(capacity: message.count + message.count / 16 + 32)
            buffer.writeString("+OK \(size) octets\r\n")
            DotStuffing.encode(message, bodyLineLimit: topLines, into: &buffer)
            return buffer
        }.assumeIsolated().whenComplete { outcome in
            switch outcome {
            case .success(let buffer):
                guard !self.session.isClosed else { return }
                context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
                self.resume(with: .none, context: context)
            case .failure(let error):
                self.logger.error("message could not be read", metadata: ["error": "\(error)"])
                self.resume(with: self.session.retrieveFailed(), context: context)
            }
        }
    }

    /// RFC 1939 §6: only now are messages removed, and +OK goes out once that is on disk.
    private func commitDeletions(_ indices: [Int], context: ChannelHandlerContext) {
        guard let maildrop else { return }
        waitingForResult = true
        blockingWork.run(on: context.eventLoop) {
            try maildrop.delete(indices)
        }.assumeIsolated().whenComplete { outcome in
            let success: Bool
            switch outcome {
            case .success:
                success = true
                self.logger.info("messages deleted", metadata: ["count": "\(indices.count)"])
            case .failure(let error):
                success = false
                self.logger.error("deleting messages failed", metadata: ["error": "\(error)"])
            }
            self.resume(with: self.session.deletionsCommitted(success: success), context: context)
        }
    }

    private func resume(with action: POP3Session.Action, context: ChannelHandlerContext) {
        waitingForResult = false
        guard context.channel.isActive else { return }
        perform(action, context: context)
        processInput(context: context)
    }
}
