import LineProtocol
import NIOCore
internal import COpenSSL

/// Server-side TLS for one connection: OpenSSL over two memory BIOs, as a NIO duplex handler.
///
/// Put it first in the pipeline: as the first handler of an implicit-TLS channel, or inserted
/// later for STARTTLS with `pipeline.syncOperations.addHandler(handler, position: .first)` on
/// an active channel. Inbound it turns ciphertext into plaintext `ByteBuffer`s; outbound it
/// encrypts. Contract:
/// - Writes and flushes made before the handshake completes are held and sent, in order, right
///   after it (an implicit-TLS greeting written in `channelActive` works).
/// - When the handshake completes it fires `TLSHandshakeCompleted` as a user inbound event and
///   sets `sessionInfo`; an ACME tls-alpn-01 validation (ALPN `acme-tls/1`) is closed instead.
/// - A fatal TLS error sends OpenSSL's alert, fires a `TLSError` through `fireErrorCaught`, and
///   closes the channel.
/// - `close` sends close_notify and closes the socket once it is written, or after
///   `closeTimeout`; the peer's close_notify is answered with ours (RFC 8446 section 6.1).
/// - EOF without close_notify fires `TLSError.uncleanShutdown` before `channelInactive`.
/// - Empty writes are never given to OpenSSL, but their promises complete in order.
/// Not Sendable: use it only on its channel's event loop.
public final class TLSServerHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The negotiated session, once the handshake has completed.
    public private(set) var sessionInfo: TLSSessionInfo?

    private let tlsContext: TLSServerContext
    private let engine: TLSConnectionEngine

    /// - Parameters:
    ///   - context: the listener's context (`TLSContextProvider.current` at accept time).
    ///   - closeTimeout: how long `close` waits for the close_notify to be written.
    public init(context: TLSServerContext, closeTimeout: TimeAmount = .seconds(2)) {
        self.tlsContext = context
        self.engine = TLSConnectionEngine(closeTimeout: closeTimeout)
        engine.delegate = self
    }

    public func handlerAdded(context: ChannelHandlerContext) { engine.handlerAdded(context: context) }
    public func handlerRemoved(context: ChannelHandlerContext) { engine.handlerRemoved(context: context) }
    public func channelActive(context: ChannelHandlerContext) { engine.channelActive(context: context) }
    public func channelInactive(context: ChannelHandlerContext) { engine.channelInactive(context: context) }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        engine.channelRead(context: context, ciphertext: unwrapInboundIn(data))
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        engine.write(context: context, plaintext: unwrapOutboundIn(data), promise: promise)
    }

    public func flush(context: ChannelHandlerContext) { engine.flush(context: context) }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        engine.close(context: context, mode: mode, promise: promise)
    }
}

extension TLSServerHandler: TLSConnectionEngineDelegate {
    func makeSSL() throws(TLSError) -> OpaquePointer {
        guard let ssl = tlsContext.makeSSL() else { throw TLSError.fromOpenSSL(.openSSLFailure, "SSL_new failed") }
        SSL_set_accept_state(ssl)
        return ssl
    }

    func handshakeCompleted(ssl: OpaquePointer) -> (any Sendable)? {
        let info = Self.sessionInfo(of: ssl)
        // RFC 8737 §3: a tls-alpn-01 validation connection ends with its handshake.
        if info.applicationProtocol == TLSALPNChallenges.applicationProtocol { return nil }
        sessionInfo = info
        return TLSHandshakeCompleted(info: info)
    }

    private static func sessionInfo(of ssl: OpaquePointer) -> TLSSessionInfo {
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "unknown"
        let serverName = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
        var alpn: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpn, &alpnLength)
        let applicationProtocol = alpn.map {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self)
        }
        return TLSSessionInfo(version: version, cipher: cipher, serverName: serverName,
                              applicationProtocol: applicationProtocol)
    }
}
