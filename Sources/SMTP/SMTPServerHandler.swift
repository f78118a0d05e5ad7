import LineProtocol
import Logging
import NIOCore

/// Channel glue for one submission connection: frames command lines, reads DATA and BDAT
/// content, feeds the `SMTPSession`, and carries out its actions. Blocking work (password
/// checks, sender and recipient checks, storage) runs on `blockingWork`; while a command waits
/// for its result no further pipelined line is read, so replies keep their order
/// (RFC 2920 §3).
public final class SMTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// What the next input bytes are.
    private enum Mode {
        case commands
        case data(SMTPDataReceiver)
        /// A BDAT chunk; `discardReply` is set when its octets are thrown away.
        case chunk(SMTPChunkReader, discardReply: SMTPReply?)
    }

    private var session: SMTPSession
    private let backend: any SMTPBackend
    private let blockingWork: any BlockingWorkRunner
    private let startTLS: StartTLSUpgrade?
    private var logger: Logger

    private var framer: LineFramer
    private var input = ByteBuffer()
    private var mode = Mode.commands
    private var intake: SMTPMessageIntake?
    /// The envelope of the message in `intake`, for the log.
    private var envelope: SMTPEnvelope?
    private var waitingForResult = false
    private var started = false
    private let idleTimer: IdleTimer

    /// - Parameters:
    ///   - startTLS: inserts the TLS handler; nil where STARTTLS is not offered.
    ///   - blockingWork: runs backend calls and storage off the event loop.
    public init(
        configuration: SMTPServerConfiguration,
        backend: any SMTPBackend,
        blockingWork: any BlockingWorkRunner,
        startTLS: StartTLSUpgrade?,
        logger: Logger
    ) {
        self.session = SMTPSession(configuration: configuration)
        self.backend = backend
        self.blockingWork = blockingWork
        self.startTLS = startTLS
        self.logger = logger
        self.framer = LineFramer(maxLineLength: configuration.limits.maxCommandLineLength)
        self.idleTimer = IdleTimer(timeout: configuration.limits.idleTimeout)
    }

    private var limits: SMTPLimits { session.configuration.limits }

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
            session.clientIP = address.ipAddress ?? "unknown"
            logger[metadataKey: "peer"] = "\(session.clientIP):\(address.port ?? 0)"
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
            logger.notice("too much pipelined input")
            perform(session.tooMuchPipelinedInput(), context: context)
            return
        }
        input.writeBuffer(&bytes)
        processInput(context: context)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as TLSHandshakeCompleted:
            session.tlsEstablished(event.info)
            logger[metadataKey: "tls"] = "\(event.info.version) \(event.info.cipher)"
            logger.info("TLS established", metadata: [
                "version": "\(event.info.version)", "cipher": "\(event.info.cipher)",
                "sni": "\(event.info.serverName ?? "-")",
            ])
            processInput(context: context)
        case is ServerShuttingDown:
            if !session.isClosed { perform(session.serverShuttingDown(), context: context) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        session.connectionClosed()
        idleTimer.cancel()
        intake?.cancel()
        intake = nil
        logger.info("disconnected")
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.notice("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Input

    private func processInput(context: ChannelHandlerContext) {
        reading: while !waitingForResult, !session.isClosed {
            switch mode {
            case .commands:
                guard let frame = framer.next(from: &input) else { break reading }
                switch frame {
                case .line(let line): perform(session.lineReceived(line), context: context)
                case .tooLong: perform(session.lineTooLong(), context: context)
                }
            case .data(var receiver):
                var content = context.channel.allocator.buffer(capacity: input.readableBytes)
                let ended = receiver.consume(&input, into: &content)
                mode = .data(receiver)
                if content.readableBytes > 0 { intake?.append(content) }
                guard ended else { break reading }
                mode = .commands
                finishMessage(context: context)
            case .chunk(var reader, let discardReply):
                while let part = reader.take(from: &input) {
                    if discardReply == nil { intake?.append(part) }
                }
                mode = .chunk(reader, discardReply: discardReply)
                guard reader.isComplete else { break reading }
                mode = .commands
                if let discardReply {
                    send(discardReply, context: context)
                } else if reader.isLast || intake?.rejection != nil {
                    finishMessage(context: context)
                } else {
                    perform(session.chunkReceived(size: reader.size), context: context)
                }
            }
        }
        input.discardReadBytes()
    }

    // MARK: - Actions

    private func perform(_ action: SMTPSession.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .reply(let reply):
            if reply.code >= 400 { logger.info("rejected", metadata: ["reply": "\(reply)"]) }
            send(reply, context: context)
        case .close(let replies):
            closeAfter(replies, context: context)
        case .startTLS(let reply):
            upgradeToTLS(reply: reply, context: context)
        case .authenticate(let username, let password):
            authenticate(username: username, password: password, context: context)
        case .checkSender(let address, let login):
            let backend = self.backend
            runBlocking({ try backend.checkSender(address, login: login) }, context: context) { outcome in
                var check = SMTPSenderCheck.unavailable("temporary server error")
                switch outcome {
                case .success(let result): check = result
                case .failure(let error): self.logger.error("sender check failed", metadata: ["from": "\(address)", "error": "\(error)"])
                }
                if check != .allowed { self.logger.notice("sender not accepted", metadata: ["from": "\(address)", "check": "\(check)"]) }
                return self.session.senderChecked(check)
            }
        case .checkRecipient(let address):
            let backend = self.backend
            runBlocking({ backend.checkRecipient(address) }, context: context) { outcome in
                switch outcome {
                case .success(let check): return self.session.recipientChecked(check)
                case .failure(let error):
                    self.logger.error("recipient check failed", metadata: ["to": "\(address)", "error": "\(error)"])
                    return self.session.recipientChecked(.unavailable("temporary server error"))
                }
            }
        case .receiveData(let envelope, let reply):
            send(reply, context: context)
            openMessage(envelope, context: context)
            mode = .data(SMTPDataReceiver())
        case .receiveChunk(let size, let last, let begin):
            if let begin { openMessage(begin, context: context) }
            mode = .chunk(SMTPChunkReader(size: size, last: last), discardReply: nil)
        case .discardChunk(let size, let reply):
            mode = .chunk(SMTPChunkReader(size: size, last: false), discardReply: reply)
        }
        if intake != nil && !session.hasOpenMessage {
            // The transaction ended without its message (RSET, EHLO, QUIT, shutdown).
            intake?.cancel()
            intake = nil
        }
    }

    private func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeString(reply.encoded)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func closeAfter(_ replies: [SMTPReply], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        for reply in replies { buffer.writeString(reply.encoded) }
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Runs `work` on the thread pool, holding further input until `next` hands back the
    /// session's action for the result.
    private func runBlocking<T: Sendable>(
        _ work: @escaping @Sendable () throws -> T, context: ChannelHandlerContext,
        then next: @escaping (Result<T, any Error>) -> SMTPSession.Action
    ) {
        waitingForResult = true
        blockingWork.run(on: context.eventLoop, work).assumeIsolated().whenComplete { outcome in
            self.resume(with: next(outcome), context: context)
        }
    }

    private func resume(with action: SMTPSession.Action, context: ChannelHandlerContext) {
        waitingForResult = false
        guard context.channel.isActive, !session.isClosed || action != .none else { return }
        perform(action, context: context)
        processInput(context: context)
    }

    /// RFC 3207 §4.2 and CVE-2011-0411: the reply goes out in plaintext, every byte the client
    /// pipelined after STARTTLS is thrown away, and TLS sits in front before the next read.
    private func upgradeToTLS(reply: SMTPReply, context: ChannelHandlerContext) {
        guard let startTLS else {
            send(SMTPReply(454, "4.7.0 TLS not available"), context: context)
            return
        }
        send(reply, context: context)
        do {
            let discarded = try startTLS.start(discarding: &input, framer: &framer, pipeline: context.pipeline.syncOperations)
            if discarded > 0 {
                logger.notice("discarded plaintext pipelined after STARTTLS", metadata: ["bytes": "\(discarded)"])
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
        let clientIP = session.clientIP
        blockingWork.run(after: backend.failureDelay(clientIP: clientIP), on: context.eventLoop) {
            backend.authenticate(username: username, password: password, clientIP: clientIP)
        }.assumeIsolated().whenComplete { outcome in
            let authResult: SMTPAuthResult
            switch outcome {
            case .success(let value): authResult = value
            case .failure(let error): authResult = .temporaryFailure("\(error)")
            }
            switch authResult {
            case .success(let login):
                self.logger[metadataKey: "user"] = "\(login)"
                self.logger.info("login", metadata: ["user": "\(login)", "outcome": "ok"])
            case .failure:
                self.logger.notice("login", metadata: ["user": "\(username)", "outcome": "failed"])
            case .temporaryFailure(let why):
                self.logger.error("login", metadata: ["user": "\(username)", "outcome": "tempfail", "error": "\(why)"])
            }
            self.resume(with: self.session.authenticated(authResult), context: context)
        }
    }

    private func openMessage(_ envelope: SMTPEnvelope, context: ChannelHandlerContext) {
        intake = SMTPMessageIntake(
            envelope: envelope, configuration: session.configuration, backend: backend,
            blockingWork: blockingWork, eventLoop: context.eventLoop
        ) { backlogged in
            // Stop reading while the disk is behind; read on once it has caught up.
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: !backlogged)
            if !backlogged { context.read() }
        }
        self.envelope = envelope
        logger[metadataKey: "queue-id"] = "\(envelope.queueID)"
    }

    /// The content is complete: commit or abort, and only then reply (RFC 5321 §4.1.1.4:
    /// 250 means the message is safely stored).
    private func finishMessage(context: ChannelHandlerContext) {
        guard let intake else { return }
        waitingForResult = true
        session.contentEnded()
        intake.finish { outcome in
            let envelope = self.envelope
            self.intake = nil
            self.envelope = nil
            switch outcome {
            case .committed:
                self.logger.info("message accepted", metadata: [
                    "from": "\(envelope?.sender ?? "")", "recipients": "\(envelope?.recipients.count ?? 0)",
                    "size": "\(intake.size)",
                ])
            case .rejected(let why):
                self.logger.notice("message refused", metadata: ["reason": "\(why)"])
            case .failed(let why):
                self.logger.error("message not stored", metadata: ["error": "\(why)"])
            }
            self.logger[metadataKey: "queue-id"] = nil
            self.resume(with: self.session.messageFinished(outcome), context: context)
        }
    }
}
