import Foundation
import LineProtocol
import NIOCore
import NIOPosix
import TLS
import DNS

/// What one connection to one host achieved.
struct ConnectionReport: Sendable {
    /// "mx.example.net [192.0.2.1]"
    var remote: String
    var outcome: SMTPClientOutcome
    /// The handshake, when TLS was negotiated (accepted by the plan or not).
    var tls: TLSClientSessionInfo?
    /// The handshake failed (so opportunistic TLS may retry in plaintext).
    var handshakeFailed: Bool
    var capabilities: EHLOCapabilities?
}

/// Runs one `SMTPClientSession` over one TCP connection: the NIO glue between the socket, the TLS client
/// handler, the message file and the pure session.
enum SMTPClientConnection {
    /// Connects to `address`:`port` and delivers `message` (the file at `messagePath`, after `headerPrefix`:
    /// its DKIM-Signature fields, if any) under `plan`.
    /// Never throws: a connection that fails is an outcome with every recipient deferred.
    static func deliver(
        to address: IPAddress, port: Int, hostName: String, heloName: String, message: OutboundMessage,
        messagePath: String, headerPrefix: [UInt8], plan: HostTLSPlan, credentials: ClientCredentials?,
        tlsContext: TLSClientContext,
        group: any EventLoopGroup, threadPool: NIOThreadPool, timeout: TimeAmount
    ) async -> ConnectionReport {
        let remote = "\(hostName) [\(address)]"
        let session = SMTPClientSession(
            heloName: heloName, message: message, tls: plan.mode, credentials: credentials, remoteHost: remote)
        let eventLoop = group.next()
        let done = eventLoop.makePromise(of: ConnectionReport.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if plan.mode == .implicit {
                        try operations.addHandler(TLSClientHandler(context: tlsContext, expectation: plan.expectation))
                    }
                    try operations.addHandler(IdleStateHandler(readTimeout: timeout))
                    try operations.addHandler(SMTPClientHandler(
                        session: session, remote: remote, plan: plan, tlsContext: tlsContext, messagePath: messagePath,
                        headerPrefix: headerPrefix, threadPool: threadPool, done: done))
                }
            }
        do {
            let socketAddress = try address.socketAddress(port: port)
            _ = try await bootstrap.connect(to: socketAddress).get()
        } catch {
            done.fail(error)  // the handler was never added: nobody else completes it
            // RFC 3463: 4.4.1, no answer from the host.
            let detail = FailureDetail(
                status: "4.4.1", diagnostic: "X-Loft; cannot connect to \(remote): \(describe(error))", remoteHost: remote)
            return ConnectionReport(
                remote: remote,
                outcome: SMTPClientOutcome(recipients: message.recipients.map { _ in .deferred(detail) }, tryNextHost: true),
                tls: nil, handshakeFailed: false, capabilities: nil)
        }
        return (try? await done.futureResult.get())
            ?? ConnectionReport(remote: remote, outcome: SMTPClientOutcome(recipients: [], tryNextHost: true),
                                tls: nil, handshakeFailed: false, capabilities: nil)
    }
}

/// The channel handler that drives the session. Lives on its channel's event loop only.
private final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: SMTPClientSession
    private var parser = SMTPReplyParser()
    private let remote: String
    private let plan: HostTLSPlan
    private let tlsContext: TLSClientContext
    private let messagePath: String
    private let headerPrefix: [UInt8]
    private let threadPool: NIOThreadPool
    private let done: EventLoopPromise<ConnectionReport>
    private var tls: TLSClientSessionInfo?
    /// Replies wait until the handshake is judged: after STARTTLS, and from the start with implicit TLS.
    private var awaitingHandshake: Bool
    private var handshakeFailed = false
    private var finished = false

    init(
        session: SMTPClientSession, remote: String, plan: HostTLSPlan, tlsContext: TLSClientContext,
        messagePath: String, headerPrefix: [UInt8], threadPool: NIOThreadPool, done: EventLoopPromise<ConnectionReport>
    ) {
        self.session = session
        self.remote = remote
        self.plan = plan
        self.tlsContext = tlsContext
        self.messagePath = messagePath
        self.headerPrefix = headerPrefix
        self.threadPool = threadPool
        self.done = done
        self.awaitingHandshake = plan.mode == .implicit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        parser.append(bytes.readableBytesView)
        processReplies(context: context)
    }

    private func processReplies(context: ChannelHandlerContext) {
        while !finished, !awaitingHandshake {
            let reply: SMTPClientReply?
            do {
                reply = try parser.nextReply()
            } catch {
                perform(session.replyError(error), context: context)
                return
            }
            guard let reply else { return }
            perform(session.receive(reply), context: context)
        }
    }

    private func perform(_ actions: [SMTPClientAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let lines):
                var buffer = context.channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
                for line in lines {
                    buffer.writeString(line)
                    buffer.writeStaticString("\r\n")
                }
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            case .startTLS:
                startTLS(context: context)
            case .sendMessage:
                sendMessage(context: context)
            case .close:
                context.close(promise: nil)
            }
        }
    }

    /// RFC 3207 §4.2 (and the STARTTLS injection bug class): nothing the server sent before the handshake
    /// may be read as if it came after it.
    private func startTLS(context: ChannelHandlerContext) {
        guard parser.bufferedByteCount == 0 else {
            fail(context: context, reason: "\(remote) sent data after its STARTTLS reply (possible command injection)")
            return
        }
        parser = SMTPReplyParser()
        awaitingHandshake = true
        do {
            try context.pipeline.syncOperations.addHandler(
                TLSClientHandler(context: tlsContext, expectation: plan.expectation), position: .first)
        } catch {
            fail(context: context, reason: "cannot start TLS: \(error)")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSClientHandshakeCompleted {
            tls = completed.info
            awaitingHandshake = false
            if let rejection = plan.rejection(of: completed.info) {
                perform(session.tlsRejected(reason: rejection), context: context)
            } else {
                perform(session.tlsEstablished(), context: context)
            }
            processReplies(context: context)
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            fail(context: context, reason: "\(remote) did not answer in time")
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if awaitingHandshake {
            // The handshake failed: a TLS problem of this host (4.7.5), whatever the policy.
            handshakeFailed = true
            awaitingHandshake = false
            _ = session.tlsRejected(reason: "TLS handshake with \(remote) failed: \(error)")
        }
        fail(context: context, reason: "\(remote): \(error)")
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished { session.connectionLost(reason: "\(remote) closed the connection") }
        finish()
    }

    private func fail(context: ChannelHandlerContext, reason: String) {
        if !finished { session.connectionLost(reason: reason) }
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        let outcome = session.outcome ?? SMTPClientOutcome(recipients: [], tryNextHost: true)
        done.succeed(ConnectionReport(
            remote: remote, outcome: outcome, tls: tls, handshakeFailed: handshakeFailed,
            capabilities: session.capabilities))
    }

    // MARK: The message

    /// Streams the message file dot-stuffed (RFC 5321 §4.5.2) in 64 KiB pieces read on the thread pool,
    /// each read waiting for the previous write, so memory stays flat whatever the message size.
    private func sendMessage(context: ChannelHandlerContext) {
        let eventLoop = context.eventLoop
        let path = messagePath
        let opened = threadPool.runIfActive(eventLoop: eventLoop) { () throws -> Int32 in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw MessageReadError(path: path, code: errno) }
            return fd
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
        opened.whenComplete { result in
            let (handler, context) = bound.value
            switch result {
            case .failure(let error):
                handler.fail(context: context, reason: "cannot read the queued message: \(error)")
            case .success(let fd):
                // The DKIM-Signature fields go first, through the same stuffer (they end in CRLF).
                var stuffer = DotStuffer()
                var buffer = context.channel.allocator.buffer(capacity: handler.headerPrefix.count)
                stuffer.append(handler.headerPrefix, into: &buffer)
                if buffer.readableBytes > 0 { context.write(handler.wrapOutboundOut(buffer), promise: nil) }
                handler.sendChunks(fd: fd, offset: 0, stuffer: stuffer, context: context)
            }
        }
    }

    private func sendChunks(fd: Int32, offset: Int64, stuffer: DotStuffer, context: ChannelHandlerContext) {
        guard !finished else {
            close(fd)
            return
        }
        let eventLoop = context.eventLoop
        let path = messagePath
        let read = threadPool.runIfActive(eventLoop: eventLoop) { () throws -> [UInt8] in
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard count >= 0 else { throw MessageReadError(path: path, code: errno) }
            chunk.removeSubrange(count...)
            return chunk
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
        read.whenComplete { result in
            let (handler, context) = bound.value
            var stuffer = stuffer
            switch result {
            case .failure(let error):
                close(fd)
                handler.fail(context: context, reason: "cannot read the queued message: \(error)")
            case .success(let chunk) where chunk.isEmpty:
                close(fd)
                var buffer = context.channel.allocator.buffer(capacity: 8)
                stuffer.finish(into: &buffer)
                context.writeAndFlush(handler.wrapOutboundOut(buffer), promise: nil)
            case .success(let chunk):
                var buffer = context.channel.allocator.buffer(capacity: chunk.count + chunk.count / 32 + 8)
                stuffer.append(chunk, into: &buffer)
                let next = offset + Int64(chunk.count)
                let stuffed = stuffer
                context.writeAndFlush(handler.wrapOutboundOut(buffer)).whenComplete { written in
                    if case .failure = written {
                        close(fd)
                        return  // channelInactive or errorCaught reports it
                    }
                    let (handler, context) = bound.value
                    handler.sendChunks(fd: fd, offset: next, stuffer: stuffed, context: context)
                }
            }
        }
    }
}

/// A connection error in words: the system's text for an errno, "timed out" for a connect timeout.
private func describe(_ error: any Error) -> String {
    if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
    if case ChannelError.connectTimeout = error { return "timed out" }
    return "\(error)"
}

private struct MessageReadError: Error, CustomStringConvertible {
    var path: String
    var code: Int32
    var description: String { "\(path): \(String(cString: strerror(code)))" }
}

extension IPAddress {
    func socketAddress(port: Int) throws -> SocketAddress {
        try SocketAddress(ipAddress: description, port: port)
    }
}
