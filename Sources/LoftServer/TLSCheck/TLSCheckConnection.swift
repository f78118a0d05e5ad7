import Foundation
import NIOCore
import NIOPosix
import TLS

/// What one connection of a check found.
public struct TLSCheckConnectionResult: Sendable {
    /// The protocol dialogue's facts (greeting, capabilities before and after TLS).
    public var transcript: TLSCheckTranscript
    /// The handshake, when it completed.
    public var session: TLSClientSessionInfo?
    /// Why the TLS handshake failed, when it did (OpenSSL's reason, or the server closing).
    public var handshakeFailure: String?
    /// Why the dialogue stopped early: a timeout, the server closing, bytes that are not the protocol.
    public var interruption: String?

    public init(transcript: TLSCheckTranscript = TLSCheckTranscript(), session: TLSClientSessionInfo? = nil,
                handshakeFailure: String? = nil, interruption: String? = nil) {
        self.transcript = transcript
        self.session = session
        self.handshakeFailure = handshakeFailure
        self.interruption = interruption
    }
}

/// Why a connection could not be made ("Connection refused", "no answer within 10 s").
struct TLSCheckConnectFailure: Error, CustomStringConvertible {
    var description: String
}

/// One TCP connection of a check, over NIO: a protocol dialogue, with `TLSClientHandler` first in
/// the pipeline for implicit TLS, or inserted after the server's go-ahead to STARTTLS exactly as
/// the outbound queue does (`SMTPClientConnection`).
enum TLSCheckConnection {
    /// How far to go.
    enum Scope: Sendable {
        /// The whole dialogue: greeting, capabilities, STARTTLS, handshake, capabilities inside TLS, goodbye.
        case complete
        /// Stop once the handshake is over (or has failed): a protocol version probe.
        case untilHandshake
    }

    static func run(
        address: SocketAddress, protocol proto: TLSCheckProtocol, mode: TLSCheckMode, heloName: String,
        tlsContext: TLSClientContext, expectation: TLSPeerExpectation, scope: Scope, timeouts: TLSCheckTimeouts,
        group: any EventLoopGroup
    ) async throws(TLSCheckConnectFailure) -> TLSCheckConnectionResult {
        let eventLoop = group.next()
        let done = eventLoop.makePromise(of: TLSCheckConnectionResult.self)
        let dialogue: any TLSCheckDialogue
        switch proto {
        case .smtp, .submission: dialogue = SMTPCheckDialogue(heloName: heloName, mode: mode)
        case .imap: dialogue = IMAPCheckDialogue(mode: mode)
        case .pop3: dialogue = POP3CheckDialogue(mode: mode)
        }
        let alpn = [proto.alpnIdentifier]
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeouts.connect)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if mode == .implicit {
                        try operations.addHandler(TLSClientHandler(
                            context: tlsContext, expectation: expectation, applicationProtocols: alpn))
                    }
                    try operations.addHandler(TLSCheckChannelHandler(
                        dialogue: dialogue, implicitTLS: mode == .implicit, scope: scope, tlsContext: tlsContext,
                        expectation: expectation, applicationProtocols: alpn, replyTimeout: timeouts.reply, done: done))
                }
            }
        do {
            _ = try await bootstrap.connect(to: address).get()
        } catch {
            // The handler completes `done` when it is removed; nobody waits for it now.
            throw TLSCheckConnectFailure(description: describe(error, connectTimeout: timeouts.connect))
        }
        do {
            return try await done.futureResult.get()
        } catch {
            return TLSCheckConnectionResult(interruption: "the connection failed: \(error)")
        }
    }

    /// A connection error in words: the system's text for an errno, the limit for a timeout.
    static func describe(_ error: any Error, connectTimeout: TimeAmount) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if case ChannelError.connectTimeout = error {
            return "no answer within \(TLSCheckTimeouts.text(connectTimeout))"
        }
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first {
            return describe(first.error, connectTimeout: connectTimeout)
        }
        return "\(error)"
    }
}
