import LineProtocol
import Logging
import NIOCore

/// The channel handler of one submission connection: the shared skeleton driven by
/// `SMTPConnection`.
public typealias SMTPServerHandler = LineConnectionHandler<SMTPConnection>

extension LineConnectionHandler where Driver == SMTPConnection {
    public convenience init(
        configuration: SMTPServerConfiguration,
        backend: any SMTPBackend,
        services: ConnectionServices,
        logger: Logger
    ) {
        self.init(
            driver: SMTPConnection(configuration: configuration, backend: backend),
            limits: configuration.limits.connection, services: services, logger: logger)
    }
}

/// Submission on the connection skeleton: frames command lines, reads DATA and BDAT content,
/// feeds the `SMTPSession`, and carries out its actions. Blocking work (password checks,
/// sender and recipient checks, storage) runs off the event loop; while a command waits for
/// its result no further pipelined line is read, so replies keep their order (RFC 2920 §3).
public final class SMTPConnection: LineProtocolDriver {
    /// What the next input bytes are.
    private enum Mode {
        case commands
        case data(SMTPDataReceiver)
        /// A BDAT chunk (RFC 3030 §2: binary, not dot-stuffed); `discardReply` is set when its
        /// octets are thrown away.
        case chunk(FixedLengthReader, last: Bool, discardReply: SMTPReply?)
    }

    private var session: SMTPSession
    private let backend: any SMTPBackend
    private var framer: LineFramer
    private var mode = Mode.commands
    private var intake: SMTPMessageIntake?
    /// The envelope of the message in `intake`, for the log.
    private var envelope: SMTPEnvelope?
    /// Closes the connection if a refused message's content is still arriving when it fires.
    private var discardDeadline: Scheduled<Void>?

    init(configuration: SMTPServerConfiguration, backend: any SMTPBackend) {
        self.session = SMTPSession(configuration: configuration)
        self.backend = backend
        self.framer = LineFramer(maxLineLength: configuration.limits.maxCommandLineLength)
    }

    private var limits: SMTPLimits { session.configuration.limits }

    public var isClosed: Bool { session.isClosed }

    public func start(_ connection: LineConnection) {
        session.clientIP = connection.clientIP
        send(session.greeting, connection)
    }

    public func tlsEstablished(_ info: TLSSessionInfo, _ connection: LineConnection) {
        session.tlsEstablished(info)
    }

    public func shutdownRequested(_ connection: LineConnection) {
        perform(session.serverShuttingDown(), connection)
    }

    public func timedOut(beforeLogin: Bool, _ connection: LineConnection) {
        perform(beforeLogin ? session.loginTimeoutFired() : session.idleTimeoutFired(), connection)
    }

    public func tooMuchInput(_ connection: LineConnection) {
        perform(session.tooMuchPipelinedInput(), connection)
    }

    public func connectionClosed(_ connection: LineConnection) {
        session.connectionClosed()
        discardDeadline?.cancel()
        discardDeadline = nil
        intake?.cancel()
        intake = nil
    }

    // MARK: - Input

    public func processInput(_ connection: LineConnection) -> Bool {
        switch mode {
        case .commands:
            guard let frame = framer.next(from: &connection.input) else { return false }
            switch frame {
            case .line(let line): perform(session.lineReceived(line), connection)
            case .tooLong: perform(session.lineTooLong(), connection)
            }
            return true
        case .data(var receiver):
            var content = connection.allocator.buffer(capacity: connection.input.readableBytes)
            let ended = receiver.consume(&connection.input, into: &content)
            mode = .data(receiver)
            if content.readableBytes > 0 { intake?.append(content) }
            guard ended else { return checkDiscarding(connection) }
            mode = .commands
            finishMessage(connection)
            return true
        case .chunk(var reader, let last, let discardReply):
            while let part = reader.take(from: &connection.input) {
                if discardReply == nil { intake?.append(part) }
            }
            mode = .chunk(reader, last: last, discardReply: discardReply)
            guard reader.isComplete else { return checkDiscarding(connection) }
            mode = .commands
            if let discardReply {
                send(discardReply, connection)
            } else if last || intake?.rejection != nil {
                finishMessage(connection)
            } else {
                perform(session.chunkReceived(size: reader.size), connection)
            }
            return true
        }
    }

    /// Content of a message refused for its size is read and thrown away (so the client can
    /// read the refusal), but only up to `maxDiscardedContent` octets and within the discard
    /// deadline. Returns false: more input is needed.
    private func checkDiscarding(_ connection: LineConnection) -> Bool {
        guard let intake, case .tooLarge = intake.rejection else { return false }
        if intake.size - limits.maxMessageSize > limits.maxDiscardedContent {
            connection.logger.notice("refused message still arriving past the discard cap, closing")
            perform(session.discardLimitReached(), connection)
        } else if discardDeadline == nil {
            discardDeadline = connection.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.discardTimeout)) {
                guard self.intake != nil, !self.session.isClosed else { return }
                connection.logger.notice("refused message still arriving past the discard deadline, closing")
                self.perform(self.session.discardLimitReached(), connection)
            }
        }
        return false
    }

    // MARK: - Actions

    private func perform(_ action: SMTPSession.Action, _ connection: LineConnection) {
        switch action {
        case .none:
            break
        case .reply(let reply):
            if reply.code >= 400 { connection.logger.info("rejected", metadata: ["reply": "\(reply)"]) }
            send(reply, connection)
        case .close(let replies):
            var buffer = connection.allocator.buffer(capacity: 128)
            for reply in replies { buffer.writeString(reply.encoded) }
            connection.writeAndClose(buffer)
        case .startTLS(let reply):
            if !connection.startTLS(after: "STARTTLS", framer: &framer, sendingReply: { send(reply, connection) }) {
                send(SMTPReply(454, "4.7.0 TLS not available"), connection)
            }
        case .authenticate(let username, let password):
            authenticate(username: username, password: password, connection)
        case .checkSender(let address, let login):
            let backend = self.backend
            connection.runBlocking({ try backend.checkSender(address, login: login) }) { outcome in
                var check = SMTPSenderCheck.unavailable("temporary server error")
                switch outcome {
                case .success(let result): check = result
                case .failure(let error):
                    connection.logger.error("sender check failed", metadata: ["from": "\(address)", "error": "\(error)"])
                }
                if check != .allowed {
                    connection.logger.notice("sender not accepted", metadata: ["from": "\(address)", "check": "\(check)"])
                }
                self.perform(self.session.senderChecked(check), connection)
            }
        case .checkRecipient(let address, let declaredSize):
            let backend = self.backend
            connection.runBlocking({ backend.checkRecipient(address, declaredSize: declaredSize) }) { outcome in
                switch outcome {
                case .success(let check):
                    self.perform(self.session.recipientChecked(check), connection)
                case .failure(let error):
                    connection.logger.error("recipient check failed", metadata: ["to": "\(address)", "error": "\(error)"])
                    self.perform(self.session.recipientChecked(.unavailable("temporary server error")), connection)
                }
            }
        case .receiveData(let envelope, let reply):
            send(reply, connection)
            openMessage(envelope, connection)
            mode = .data(SMTPDataReceiver())
        case .receiveChunk(let size, let last, let begin):
            if let begin { openMessage(begin, connection) }
            mode = .chunk(FixedLengthReader(size: size), last: last, discardReply: nil)
        case .discardChunk(let size, let reply):
            mode = .chunk(FixedLengthReader(size: size), last: false, discardReply: reply)
        }
        if intake != nil && !session.hasOpenMessage {
            // The transaction ended without its message (RSET, EHLO, QUIT, shutdown).
            intake?.cancel()
            intake = nil
        }
    }

    private func send(_ reply: SMTPReply, _ connection: LineConnection) {
        var buffer = connection.allocator.buffer(capacity: 64)
        buffer.writeString(reply.encoded)
        connection.write(buffer)
    }

    /// The failure penalty delays only this client's attempt; the loop stays free.
    private func authenticate(username: String, password: String, _ connection: LineConnection) {
        let backend = self.backend
        let clientIP = session.clientIP
        connection.logIn(username: username, after: backend.failureDelay(clientIP: clientIP)) {
            backend.authenticate(username: username, password: password, clientIP: clientIP)
        } then: { outcome in
            switch outcome {
            case .loggedIn(let login): self.perform(self.session.authenticated(.success(login: login)), connection)
            case .tooManySessions: self.perform(self.session.tooManySessions(), connection)
            case .failed: self.perform(self.session.authenticated(.failure), connection)
            case .temporaryFailure(let why): self.perform(self.session.authenticated(.temporaryFailure(why)), connection)
            }
        }
    }

    private func openMessage(_ envelope: SMTPEnvelope, _ connection: LineConnection) {
        intake = SMTPMessageIntake(
            envelope: envelope, configuration: session.configuration, backend: backend,
            blockingWork: connection.services.blockingWork, eventLoop: connection.eventLoop
        ) { backlogged in
            // Stop reading while the disk is behind; read on once it has caught up.
            connection.setStorageBacklogged(backlogged)
        }
        self.envelope = envelope
        connection.logger[metadataKey: "queue-id"] = "\(envelope.queueID)"
    }

    /// The content is complete: commit or abort, and only then reply (RFC 5321 §4.1.1.4:
    /// 250 means the message is safely stored).
    private func finishMessage(_ connection: LineConnection) {
        guard let intake else { return }
        discardDeadline?.cancel()
        discardDeadline = nil
        session.contentEnded()
        connection.suspendInput()
        intake.finish { outcome in
            let envelope = self.envelope
            self.intake = nil
            self.envelope = nil
            switch outcome {
            case .committed:
                connection.logger.info("message accepted", metadata: [
                    "from": "\(envelope?.sender ?? "")", "recipients": "\(envelope?.recipients.count ?? 0)",
                    "size": "\(intake.size)",
                ])
            case .rejected(let why):
                connection.logger.notice("message refused", metadata: ["reason": "\(why)"])
            case .failed(let why):
                connection.logger.error("message not stored", metadata: ["error": "\(why)"])
                connection.services.metrics?.storageFailed()
            case .refused(let reply):
                connection.logger.notice("message refused", metadata: ["reply": "\(reply.encoded)"])
            }
            connection.logger[metadataKey: "queue-id"] = nil
            connection.resumeInput { self.perform(self.session.messageFinished(outcome), connection) }
        }
    }
}
