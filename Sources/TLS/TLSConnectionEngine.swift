import NIOCore
internal import COpenSSL

/// What differs between the server and the client end of a TLS connection. The engine asks
/// its delegate for a configured `SSL*` and tells it when the handshake has completed.
protocol TLSConnectionEngineDelegate: AnyObject {
    /// A new `SSL*` for this connection (the engine owns it from now on), with its side set
    /// (`SSL_set_accept_state` / `SSL_set_connect_state`) and everything per-connection
    /// configured. The engine attaches the memory BIOs.
    func makeSSL() throws(TLSError) -> OpaquePointer
    /// The handshake has just completed: record what was negotiated and return the user inbound
    /// event to fire once the held writes have been sent, or nil to close the connection now.
    func handshakeCompleted(ssl: OpaquePointer) -> (any Sendable)?
}

/// One TLS connection over OpenSSL and two memory BIOs, the part both `TLSServerHandler` and
/// `TLSClientHandler` share: the ciphertext pump, writes held until the handshake completes,
/// close_notify on close and in answer to the peer's, error draining and unclean-EOF reporting.
///
/// The owning handler forwards its channel events here; this type does the rest through the
/// handler's `ChannelHandlerContext`. Not Sendable: only on the channel's event loop.
final class TLSConnectionEngine {
    private enum State {
        /// No `SSL*` yet (channel not active).
        case idle
        case handshaking
        case active
        /// Our close_notify is on its way; the socket closes when it is written or on timeout.
        case closing
        /// Failed or closed: nothing more goes through OpenSSL.
        case closed
    }

    weak var delegate: (any TLSConnectionEngineDelegate)?

    private let closeTimeout: TimeAmount
    private var state = State.idle
    private var ssl: OpaquePointer?
    /// Owned by `ssl` (`SSL_set_bio`); never freed directly.
    private var readBIO: OpaquePointer?
    private var writeBIO: OpaquePointer?
    private var pendingWrites: [(data: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
    private var closePromise: EventLoopPromise<Void>?
    private var closeTimer: Scheduled<Void>?

    init(closeTimeout: TimeAmount) {
        self.closeTimeout = closeTimeout
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        // STARTTLS: added to a channel that is already active, so channelActive will not come.
        if context.channel.isActive { startSession(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startSession(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
        failPendingWrites(ChannelError.ioOnClosedChannel)
        closePromise?.fail(ChannelError.ioOnClosedChannel)
        closePromise = nil
        freeSession()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
        let sawCloseNotify = state != .handshaking && state != .active
        state = .closed
        failPendingWrites(ChannelError.ioOnClosedChannel)
        if let promise = closePromise {
            closePromise = nil
            promise.succeed()
        }
        freeSession()
        if !sawCloseNotify { context.fireErrorCaught(TLSError.uncleanShutdown) }
        context.fireChannelInactive()
    }

    private func startSession(context: ChannelHandlerContext) {
        guard state == .idle, let delegate else { return }
        let ssl: OpaquePointer
        do {
            ssl = try delegate.makeSSL()
        } catch {
            fail(context: context, error)
            return
        }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            fail(context: context, TLSError.fromOpenSSL(.openSSLFailure, "BIO_new failed"))
            return
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        state = .handshaking
        // A client speaks first: its ClientHello goes out now.
        if SSL_is_server(ssl) == 0 { continueHandshake(context: context) }
    }

    private func freeSession() {
        if let ssl { SSL_free(ssl) }  // also frees both BIOs
        ssl = nil
        readBIO = nil
        writeBIO = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, ciphertext: ByteBuffer) {
        guard let readBIO, state == .handshaking || state == .active || state == .closing else { return }
        ciphertext.withUnsafeReadableBytes { bytes in
            // A memory BIO accepts every byte.
            if bytes.count > 0 { _ = BIO_write(readBIO, bytes.baseAddress, Int32(bytes.count)) }
        }
        if state == .handshaking { continueHandshake(context: context) }
        readPlaintext(context: context)
    }

    private func continueHandshake(context: ChannelHandlerContext) {
        guard let ssl else { return }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        guard result == 1 else {
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_WANT_READ {
                sendCiphertext(context: context, promise: nil, flush: true)
            } else {
                fail(context: context, TLSError.fromOpenSSL(.handshakeFailed, "TLS handshake failed"))
            }
            return
        }
        sendCiphertext(context: context, promise: nil, flush: false)
        state = .active
        guard let delegate else { return }
        guard let event = delegate.handshakeCompleted(ssl: ssl) else {
            // The delegate ends this connection with the handshake (an RFC 8737 validation): nothing
            // written so far (a greeting) is sent.
            failPendingWrites(ChannelError.ioOnClosedChannel)
            close(context: context, mode: .all, promise: nil)
            return
        }
        // Writes issued before the handshake go out first, then everything is flushed.
        writePendingWrites(context: context)
        context.flush()
        guard state == .active else { return }
        context.fireUserInboundEventTriggered(event)
    }

    /// Decrypts everything OpenSSL holds. Runs right after the handshake too, because the peer's
    /// last handshake flight and its first data often share one segment.
    private func readPlaintext(context: ChannelHandlerContext) {
        while let ssl, state == .active || state == .closing {
            var plaintext = context.channel.allocator.buffer(capacity: 16 * 1024)
            var result: Int32 = 0
            ERR_clear_error()
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 16 * 1024) { bytes in
                result = SSL_read(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
                return max(Int(result), 0)
            }
            if result > 0 {
                // After our close_notify, application data is no longer wanted.
                if state == .active { context.fireChannelRead(NIOAny(plaintext)) }
                continue  // the loop condition re-checks state: the read may have closed us
            }
            let error = SSL_get_error(ssl, result)
            // Post-handshake messages (session tickets, key updates) and alerts.
            sendCiphertext(context: context, promise: nil, flush: true)
            switch error {
            case SSL_ERROR_WANT_READ:
                return
            case SSL_ERROR_ZERO_RETURN:
                // The peer's close_notify: answer with ours (RFC 8446 section 6.1). Through
                // this engine's close, not `context.close`, which would skip the handler.
                if state == .active { close(context: context, mode: .all, promise: nil) }
                return
            default:
                fail(context: context, TLSError.fromOpenSSL(.protocolFailure, "TLS error"))
                return
            }
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        switch state {
        case .idle, .handshaking:
            pendingWrites.append((plaintext, promise))
        case .active:
            encryptAndWrite(context: context, plaintext, promise: promise)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        // Before the handshake, held writes are flushed when it completes.
        if state != .idle && state != .handshaking { context.flush() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch state {
        case .active:
            writePendingWrites(context: context)
            // A held write may have failed the connection: then close without close_notify.
            guard state == .active, let ssl else { fallthrough }
            state = .closing
            let closed = context.eventLoop.makePromise(of: Void.self)
            if let promise { closed.futureResult.cascade(to: promise) }
            closePromise = closed
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
            let written = context.eventLoop.makePromise(of: Void.self)
            sendCiphertext(context: context, promise: written, flush: true)
            closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: closeTimeout) { [self] in
                closeSocket(context: context)
            }
            written.futureResult.assumeIsolated().whenComplete { [self] _ in closeSocket(context: context) }
        case .idle, .handshaking, .closed:
            // No close_notify during a handshake or after a fatal error.
            state = .closed
            failPendingWrites(ChannelError.ioOnClosedChannel)
            context.close(mode: mode, promise: promise)
        case .closing:
            if let promise { closePromise?.futureResult.cascade(to: promise) }
        }
    }

    private func closeSocket(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
        guard let promise = closePromise else { return }
        closePromise = nil
        state = .closed
        context.close(mode: .all, promise: promise)
    }

    private func writePendingWrites(context: ChannelHandlerContext) {
        while state == .active, !pendingWrites.isEmpty {
            let (data, promise) = pendingWrites.removeFirst()
            encryptAndWrite(context: context, data, promise: promise)
        }
    }

    private func encryptAndWrite(context: ChannelHandlerContext, _ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let ssl else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard plaintext.readableBytes > 0 else {
            // SSL_write of 0 bytes is an error; pass the empty write on so promises stay in order.
            context.write(NIOAny(plaintext), promise: promise)
            return
        }
        ERR_clear_error()
        let succeeded = plaintext.withUnsafeReadableBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let result = SSL_write(ssl, bytes.baseAddress! + offset, Int32(clamping: bytes.count - offset))
                guard result > 0 else { return false }
                offset += Int(result)
            }
            return true
        }
        guard succeeded else {
            let error = TLSError.fromOpenSSL(.protocolFailure, "TLS write failed")
            promise?.fail(error)
            fail(context: context, error)
            return
        }
        sendCiphertext(context: context, promise: promise, flush: false)
    }

    // MARK: Helpers

    /// Moves everything OpenSSL wrote into the write BIO down the pipeline. Called after every
    /// SSL call, failures included, so handshake messages and alerts reach the peer.
    private func sendCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?, flush: Bool) {
        var output: ByteBuffer?
        if let writeBIO {
            let pending = Int(BIO_ctrl_pending(writeBIO))
            if pending > 0 {
                var buffer = context.channel.allocator.buffer(capacity: pending)
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { bytes in
                    max(Int(BIO_read(writeBIO, bytes.baseAddress, Int32(clamping: pending))), 0)
                }
                output = buffer
            }
        }
        if let output {
            context.write(NIOAny(output), promise: promise)
        } else if let promise {
            context.write(NIOAny(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        }
        if flush { context.flush() }
    }

    /// Sends any pending alert, reports `error`, and closes without close_notify.
    private func fail(context: ChannelHandlerContext, _ error: TLSError) {
        guard state != .closed else { return }
        state = .closed
        let alertWritten = context.eventLoop.makePromise(of: Void.self)
        sendCiphertext(context: context, promise: alertWritten, flush: true)
        failPendingWrites(error)
        context.fireErrorCaught(error)
        alertWritten.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func failPendingWrites(_ error: any Error) {
        let writes = pendingWrites
        pendingWrites.removeAll()
        for write in writes { write.promise?.fail(error) }
    }
}
