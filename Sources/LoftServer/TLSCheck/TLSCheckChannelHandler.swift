import Foundation
import NIOCore
import TLS

/// Runs a `TLSCheckDialogue` on its channel: writes its commands, inserts `TLSClientHandler` when
/// it says STARTTLS, times every wait, and completes `done` exactly once with what was found.
/// Lives on its channel's event loop only.
final class TLSCheckChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var dialogue: any TLSCheckDialogue
    private let implicitTLS: Bool
    private let scope: TLSCheckConnection.Scope
    private let tlsContext: TLSClientContext
    private let expectation: TLSPeerExpectation
    private let applicationProtocols: [String]
    private let replyTimeout: TimeAmount
    private let done: EventLoopPromise<TLSCheckConnectionResult>
    private var result = TLSCheckConnectionResult()
    private var awaitingHandshake = false
    private var finished = false
    private var timer: Scheduled<Void>?

    init(dialogue: any TLSCheckDialogue, implicitTLS: Bool, scope: TLSCheckConnection.Scope, tlsContext: TLSClientContext,
         expectation: TLSPeerExpectation, applicationProtocols: [String], replyTimeout: TimeAmount,
         done: EventLoopPromise<TLSCheckConnectionResult>) {
        self.dialogue = dialogue
        self.implicitTLS = implicitTLS
        self.scope = scope
        self.tlsContext = tlsContext
        self.expectation = expectation
        self.applicationProtocols = applicationProtocols
        self.replyTimeout = replyTimeout
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        if implicitTLS {
            // TLSClientHandler, before this handler, sends its ClientHello now.
            awaitingHandshake = true
            arm(context: context, waitingFor: "the TLS handshake")
        } else {
            arm(context: context, waitingFor: dialogue.awaiting)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        do {
            perform(try dialogue.receive(bytes), context: context)
        } catch {
            result.interruption = "\(error)"
            finish(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSClientHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        awaitingHandshake = false
        result.session = completed.info
        guard !finished else { return }
        if scope == .untilHandshake {
            finish(context: context)
        } else if implicitTLS {
            arm(context: context, waitingFor: dialogue.awaiting)  // the greeting comes inside TLS
        } else {
            perform(dialogue.tlsEstablished(), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else { return }
        if awaitingHandshake {
            awaitingHandshake = false
            result.handshakeFailure = Self.handshakeText(error)
        } else if dialogue.saidGoodbye, let tls = error as? TLSError, tls.kind == .uncleanShutdown {
            // A server that closes after QUIT without close_notify: common, and harmless then.
            return
        } else {
            result.interruption = "connection error while waiting for \(dialogue.awaiting): \(error)"
        }
        finish(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            if awaitingHandshake {
                result.handshakeFailure = "the server closed the connection during the handshake"
            } else if !dialogue.saidGoodbye {
                result.interruption = "the server closed the connection while Loft waited for \(dialogue.awaiting)"
            }
            finish(context: context)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        if !finished {
            finished = true
            result.transcript = dialogue.transcript
            done.succeed(result)
        }
    }

    // MARK: Steps

    private func perform(_ steps: [TLSCheckStep], context: ChannelHandlerContext) {
        for step in steps where !finished {
            switch step {
            case .send(let line, let awaiting):
                var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
                buffer.writeString(line)
                buffer.writeStaticString("\r\n")
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
                arm(context: context, waitingFor: awaiting)
            case .startTLS:
                startTLS(context: context)
            case .finish:
                finish(context: context)
            }
        }
    }

    /// RFC 3207 §4.2, RFC 2595 §3.1: nothing the server sent before the handshake may be read as
    /// if it came inside TLS (the CVE-2011-0411 class): such bytes end the check.
    private func startTLS(context: ChannelHandlerContext) {
        guard dialogue.bufferedByteCount == 0 else {
            result.interruption = "the server sent data after its STARTTLS answer (possible command injection)"
            finish(context: context)
            return
        }
        awaitingHandshake = true
        arm(context: context, waitingFor: "the TLS handshake")
        do {
            try context.pipeline.syncOperations.addHandler(
                TLSClientHandler(context: tlsContext, expectation: expectation, applicationProtocols: applicationProtocols),
                position: .first)
        } catch {
            awaitingHandshake = false
            result.handshakeFailure = "cannot start TLS: \(error)"
            finish(context: context)
        }
    }

    private func finish(context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        result.transcript = dialogue.transcript
        done.succeed(result)
        context.close(promise: nil)
    }

    private func arm(context: ChannelHandlerContext, waitingFor what: String) {
        timer?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let limit = replyTimeout
        timer = context.eventLoop.scheduleTask(in: limit) {
            let (handler, context) = bound.value
            guard !handler.finished else { return }
            let text = "no answer within \(TLSCheckTimeouts.text(limit)) while waiting for \(what)"
            if handler.awaitingHandshake {
                handler.result.handshakeFailure = text
            } else {
                handler.result.interruption = text
            }
            handler.finish(context: context)
        }
    }

    /// OpenSSL's reason without its codes: "error:0A00042E:SSL routines::tlsv1 alert protocol
    /// version" becomes "tlsv1 alert protocol version".
    static func handshakeText(_ error: any Error) -> String {
        guard let tls = error as? TLSError else { return "\(error)" }
        if tls.kind == .uncleanShutdown { return "the server closed the connection during the handshake" }
        let reasons = tls.message.components(separatedBy: "error:").dropFirst().compactMap { entry -> String? in
            let reason = entry.components(separatedBy: "::").last?.trimmingCharacters(in: CharacterSet(charactersIn: " ;"))
            return reason?.isEmpty == false ? reason : nil
        }
        return reasons.isEmpty ? tls.message : reasons.joined(separator: "; ")
    }
}
