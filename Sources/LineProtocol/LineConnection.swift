import Logging
import NIOCore

/// The connection skeleton every line protocol shares: the input buffer and its cap, reading
/// paused while output is not writable (backpressure), the idle and login timers, STARTTLS,
/// password checks behind the failure penalty, blocking work with wait/resume, the login
/// slot, and the send/close calls. A protocol's driver decides what the bytes mean.
///
/// While a command waits for blocking work, no further input is processed, so replies keep
/// their order (RFC 2449 §6.6, RFC 2920 §3). Reading pauses while any of these holds, and
/// resumes when none does: output is not writable, `input` holds `maxBufferedInput` bytes,
/// or the driver reported a storage backlog. Memory per connection stays bounded whatever
/// the client sends or fails to read.
///
/// Not Sendable: use it on its channel's event loop only.
public final class LineConnection {
    /// Bytes received and not yet consumed by the driver.
    public var input = ByteBuffer()
    /// The client's address (`services.clientAddress` or the socket's peer), "unknown" for a socket without one.
    public private(set) var clientIP = "unknown"
    public var logger: Logger
    public let limits: ConnectionLimits
    public let services: ConnectionServices
    /// Whether a command waits for blocking work (its result resumes input processing).
    public private(set) var isWaiting = false

    private unowned let driver: any LineProtocolDriver
    /// Set while the handler is in an active pipeline; cleared on close (no retain cycle).
    private var context: ChannelHandlerContext?
    private var started = false
    private let idleTimer: IdleTimer
    private var loginTimer: Scheduled<Void>?
    private var loginLease: LoginLease?
    private var storageBacklogged = false
    private var readPending = false
    private var isShutDown = false
    /// Set while the driver runs: input is not processed re-entrantly.
    private var isProcessing = false
    /// Runs once output is writable again (a long response waiting to send its next chunk).
    private var writableContinuation: (() -> Void)?
    /// The server is shutting down while a command waits for its work: the driver hears of it
    /// once that command has answered, so its goodbye never lands inside a response.
    private var shutdownPending = false

    init(driver: any LineProtocolDriver, limits: ConnectionLimits, services: ConnectionServices, logger: Logger) {
        self.driver = driver
        self.limits = limits
        self.services = services
        self.logger = logger
        self.idleTimer = IdleTimer(timeout: limits.idleTimeout)
    }

    /// The channel's event loop; only valid while the connection is open.
    public var eventLoop: any EventLoop { context!.eventLoop }
    public var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }
    /// Whether the socket is still open.
    public var isActive: Bool { context?.channel.isActive ?? false }

    // MARK: - Output

    /// Writes `line` and CRLF, and flushes.
    public func send(_ line: String) {
        write(lineBuffer(line))
    }

    /// Writes and flushes bytes exactly as given (after any output `queue` holds).
    public func write(_ buffer: ByteBuffer) {
        writeQueuedOutput()
        queuedOutputUnflushed = false
        context?.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    /// Output that `queue` holds back, at most `queuedOutputLimit` bytes.
    private var queuedOutput = ByteBuffer()
    /// Four full TLS records (RFC 8446 §5.1: at most 2^14 bytes of plaintext each).
    public static let queuedOutputLimit = 64 * 1024

    /// Adds `buffer` to the output held back until the driver stops taking commands (it waits for
    /// work, needs more input, or output is not writable), until 64 KiB are held, or until the next
    /// `write`: answers made in a row (pipelined RETRs served from memory) then leave in one socket
    /// write of full TLS records, not one record and one syscall each.
    public func queue(_ buffer: ByteBuffer) {
        if queuedOutput.readableBytes == 0 {
            queuedOutput = buffer
        } else {
            queuedOutput.writeImmutableBuffer(buffer)
        }
        if queuedOutput.readableBytes >= Self.queuedOutputLimit { writeQueuedOutput() }
    }

    /// Queued output was written to the channel but not flushed yet.
    private var queuedOutputUnflushed = false

    /// Passes held output on to the channel without flushing it (the channel may turn unwritable,
    /// and `flushQueuedOutput` must still flush it).
    private func writeQueuedOutput() {
        guard queuedOutput.readableBytes > 0 else { return }
        let output = queuedOutput
        queuedOutput = ByteBuffer()
        queuedOutputUnflushed = true
        context?.write(NIOAny(output), promise: nil)
    }

    private func flushQueuedOutput() {
        writeQueuedOutput()
        guard queuedOutputUnflushed else { return }
        queuedOutputUnflushed = false
        context?.flush()
    }

    private func lineBuffer(_ line: String) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// How long the last words of a closing connection may take to go out before the socket is
    /// closed anyway: a client that never reads them, or an implicit-TLS client that never
    /// finished its handshake (TLS holds the write until then), must not keep it open.
    public static let closeDeadline = TimeAmount.seconds(10)

    /// Writes `buffer`, then closes the connection once it is out (or after `closeDeadline`).
    public func writeAndClose(_ buffer: ByteBuffer) {
        guard let context else { return }
        writeQueuedOutput()
        let channel = context.channel
        let deadline = context.eventLoop.scheduleTask(in: Self.closeDeadline) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Writes `line` and CRLF, then closes.
    public func sendAndClose(_ line: String) {
        writeAndClose(lineBuffer(line))
    }

    public func close() {
        context?.close(promise: nil)
    }

    /// Whether output may be written without piling up: false while the socket's send buffer
    /// and NIO's queue hold more than the high-water mark.
    public var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: - Blocking work

    /// Runs `work` on the disk pool; input waits until `then` has run on the event loop.
    /// `then` is skipped when the connection closed meanwhile.
    public func runBlocking<T: Sendable>(
        _ work: @escaping @Sendable () throws -> T, then: @escaping (Result<T, any Error>) -> Void
    ) {
        run(services.blockingWork, after: .zero, work, then: then)
    }

    /// Checks a password on the password pool after this address's failure penalty (the wait
    /// holds no thread and no event loop); input waits meanwhile.
    public func checkPassword(
        after delay: Duration, _ work: @escaping @Sendable () -> LoginResult, then: @escaping (LoginResult) -> Void
    ) {
        run(services.passwordWork, after: delay, work) { outcome in
            switch outcome {
            case .success(let result): then(result)
            case .failure(let error): then(.temporaryFailure("\(error)"))
            }
        }
    }

    /// Checks a login (`check` runs on the password pool after `delay`, the client's failure
    /// penalty), logs its outcome, and on success admits the session (the per user+address
    /// limit) and stops the login timer.
    public func logIn(
        username: String, after delay: Duration, _ check: @escaping @Sendable () -> LoginResult,
        then: @escaping (LoginOutcome) -> Void
    ) {
        if delay > .zero { services.metrics?.penaltyApplied() }
        checkPassword(after: delay, check) { result in
            let outcome: LoginOutcome
            switch result {
            case .success(let login):
                self.logger[metadataKey: "user"] = "\(login)"
                self.logger.info("login", metadata: ["user": "\(login)", "outcome": "ok"])
                outcome = self.loggedIn(as: login) ? .loggedIn(login) : .tooManySessions
            case .failure:
                self.logger.notice("login", metadata: ["user": "\(username)", "outcome": "failed"])
                outcome = .failed
            case .temporaryFailure(let why):
                self.logger.error("login", metadata: ["user": "\(username)", "outcome": "tempfail", "error": "\(why)"])
                outcome = .temporaryFailure(why)
            }
            self.services.metrics?.loginFinished(outcome)
            then(outcome)
        }
    }

    private func run<T: Sendable>(
        _ runner: any BlockingWorkRunner, after delay: Duration,
        _ work: @escaping @Sendable () throws -> T, then: @escaping (Result<T, any Error>) -> Void
    ) {
        guard let context else { return }
        suspendInput()
        runner.run(after: delay, on: context.eventLoop, work).assumeIsolated().whenComplete { outcome in
            self.resumeInput { then(outcome) }
        }
    }

    /// Holds input processing while the driver waits for work it started itself.
    public func suspendInput() {
        isWaiting = true
        flushQueuedOutput()
    }

    /// Ends `suspendInput`: runs `body` if the connection is still open, then reads on.
    public func resumeInput(_ body: () -> Void) {
        isWaiting = false
        guard isActive else { return }
        withoutReentry(body)
        processInput()
    }

    /// Runs `body` with input processing held: a write inside it can fire writability events
    /// synchronously, and those must not start the next command before `body` has decided
    /// whether its own work goes on (a long response's next chunk).
    private func withoutReentry(_ body: () -> Void) {
        let wasProcessing = isProcessing
        isProcessing = true
        body()
        isProcessing = wasProcessing
    }

    /// Sends a long response in pieces, each made by `nextChunk` on the disk pool (which says
    /// when it made the last one). The next piece is made only once output is writable again,
    /// so a client that does not read holds one piece plus NIO's high-water mark, not the
    /// whole response. Input waits until `then` has run.
    public func stream(
        _ nextChunk: @escaping @Sendable () throws -> (chunk: ByteBuffer, isLast: Bool),
        then: @escaping (Result<Void, any Error>) -> Void
    ) {
        runBlocking(nextChunk) { outcome in
            switch outcome {
            case .failure(let error):
                then(.failure(error))
            case .success((let chunk, true)):
                self.write(chunk)
                then(.success(()))
            case .success((let chunk, false)):
                self.write(chunk)
                self.isWaiting = true  // until the rest is out
                self.whenWritable { self.stream(nextChunk, then: then) }
            }
        }
    }

    private func whenWritable(_ body: @escaping () -> Void) {
        if isWritable {
            body()
        } else {
            writableContinuation = body
        }
    }

    /// Admits the session of `user` (the per user+address limit) and stops the login timer.
    /// Returns false when the user has too many sessions from this address: refuse and close.
    public func loggedIn(as user: String) -> Bool {
        loginTimer?.cancel()
        loginTimer = nil
        guard let logins = services.logins else { return true }
        guard let lease = logins.admit(user: user, clientIP: clientIP) else {
            logger.notice("too many sessions for this user from this address", metadata: ["user": "\(user)"])
            return false
        }
        loginLease?.release()
        loginLease = lease
        return true
    }

    // MARK: - STARTTLS

    /// RFC 2595 §4, RFC 3207 §4.2 and CVE-2011-0411: sends the reply in plaintext, throws away
    /// every byte the client pipelined after the command, and puts TLS in front before the
    /// next read. Returns false where STARTTLS is not offered (nothing was sent).
    public func startTLS(after command: String, framer: inout LineFramer, sendingReply sendReply: () -> Void) -> Bool {
        guard services.startTLS != nil else { return false }
        framer = LineFramer(maxLineLength: framer.maxLineLength)
        return startTLS(after: command, sendingReply: sendReply)
    }

    /// `startTLS(after:framer:sendingReply:)` for a protocol that resets its own parser (IMAP).
    public func startTLS(after command: String, sendingReply sendReply: () -> Void) -> Bool {
        guard let startTLS = services.startTLS, let context else { return false }
        sendReply()
        do {
            let discarded = try startTLS.start(discarding: &input, pipeline: context.pipeline.syncOperations)
            if discarded > 0 {
                logger.notice("discarded plaintext pipelined after \(command)", metadata: ["bytes": "\(discarded)"])
            }
        } catch {
            logger.error("could not start TLS", metadata: ["error": "\(error)"])
            close()
        }
        return true
    }

    // MARK: - COMPRESS

    /// RFC 4978 §3: sends the reply uncompressed, then puts the compression layer right in front
    /// of the protocol handler (behind TLS, which must stay outermost), so the next byte either
    /// way is compressed. Bytes already buffered after the command go to the layer, not the parser.
    public func startCompression(sendingReply sendReply: () -> Void) -> CompressionStart {
        guard let upgrade = services.compression, let context else { return .notOffered }
        let pending = input.getSlice(at: input.readerIndex, length: input.readableBytes) ?? ByteBuffer()
        guard let layer = upgrade.layer(pending: pending) else { return .noSlot }
        input.clear()
        sendReply()
        do {
            try context.pipeline.syncOperations.addHandler(layer, position: .before(context.handler))
            logger.info("compression on")
        } catch {
            logger.error("could not start compression", metadata: ["error": "\(error)"])
            close()
        }
        return .started
    }

    // MARK: - Reading

    /// The driver's storage is behind (true) or has caught up (false): reading pauses meanwhile.
    public func setStorageBacklogged(_ backlogged: Bool) {
        storageBacklogged = backlogged
        if !backlogged { readIfWanted() }
    }

    /// Runs the driver over the buffered input until it needs more bytes, must wait for a
    /// result, or may not write: a command's reply can be large (LIST of a big mailbox), so
    /// none is answered while earlier replies still fill the socket.
    public func processInput() {
        guard !isProcessing else { return }  // the caller's own loop carries on
        if shutdownPending, !isWaiting {
            shutdownPending = false
            if !driver.isClosed { withoutReentry { driver.shutdownRequested(self) } }
        }
        withoutReentry {
            while !isWaiting, !driver.isClosed, isWritable, driver.processInput(self) {}
        }
        flushQueuedOutput()
        input.discardReadBytes()
        readIfWanted()
    }

    private var wantsInput: Bool {
        !storageBacklogged && input.readableBytes < limits.maxBufferedInput && isWritable
    }

    private func readIfWanted() {
        guard readPending, wantsInput, let context else { return }
        readPending = false
        context.read()
    }

    // MARK: - Channel events (called by LineConnectionHandler)

    func attach(_ context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start() }
    }

    func start() {
        guard !started, let context else { return }
        started = true
        if let address = services.clientAddress ?? context.channel.remoteAddress {
            clientIP = address.ipAddress ?? "unknown"
            logger[metadataKey: "peer"] = "\(clientIP):\(address.port ?? 0)"
        }
        logger.info("connected")
        driver.start(self)
        idleTimer.start(on: context.eventLoop, isPaused: { [unowned self] in isWaiting || driver.isClosed }) { [unowned self] in
            logger.info("idle timeout")
            driver.timedOut(beforeLogin: false, self)
        }
        if let loginTimeout = limits.loginTimeout {
            loginTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(loginTimeout)) { [unowned self] in
                loginTimer = nil
                guard !driver.isClosed else { return }
                logger.info("login timeout")
                driver.timedOut(beforeLogin: true, self)
            }
        }
    }

    func received(_ bytes: inout ByteBuffer) {
        idleTimer.touch()
        guard !driver.isClosed else { return }
        // Reading pauses at the cap; a client that keeps sending past twice that (what one
        // more socket read can bring, at most) is not pipelining but flooding.
        if input.readableBytes + bytes.readableBytes > 2 * limits.maxBufferedInput + 64 * 1024 {
            logger.notice("too much pipelined input")
            driver.tooMuchInput(self)
            return
        }
        input.writeBuffer(&bytes)
        processInput()
    }

    func read() {
        readPending = true
        readIfWanted()
    }

    func writabilityChanged() {
        guard isWritable else { return }
        if let continuation = writableContinuation {
            writableContinuation = nil
            withoutReentry(continuation)
        } else {
            processInput()
        }
    }

    /// The server begins a graceful shutdown (`ServerShuttingDown`).
    func shutdownRequested() {
        guard !driver.isClosed else { return }
        if isWaiting {
            shutdownPending = true
        } else {
            driver.shutdownRequested(self)
        }
    }

    func tlsEstablished(_ info: TLSSessionInfo) {
        logger[metadataKey: "tls"] = "\(info.version) \(info.cipher)"
        logger.info("TLS established", metadata: [
            "version": "\(info.version)", "cipher": "\(info.cipher)", "sni": "\(info.serverName ?? "-")",
        ])
        driver.tlsEstablished(info, self)
        processInput()
    }

    func closed() {
        guard !isShutDown else { return }
        isShutDown = true
        writableContinuation = nil
        idleTimer.cancel()
        loginTimer?.cancel()
        loginTimer = nil
        loginLease?.release()
        loginLease = nil
        driver.connectionClosed(self)
        logger.info("disconnected")
        context = nil
    }
}
