import LineProtocol
import NIOCore
import NIOHTTP1

/// The HTTPS listener's requests on one connection, behind the TLS handler and NIO's HTTP/1.1 server
/// pipeline (which it installs): gathers a request (the body up to `maximumBodySize`), answers it with `HTTPSRouter`, and
/// enforces the request deadline. Requests on a keep-alive connection are answered in order (NIO's
/// `HTTPServerPipelineHandler` holds the next one back). Not Sendable: use it on its event loop only.
final class HTTPSRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Autodiscover bodies are a few hundred bytes; nothing else takes one.
    static let maximumBodySize = AutodiscoverRequest.maximumSize
    /// The head limits given to NIO's decoder: a request line and headers far beyond any client's.
    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 8 * 1024
        limits.maxHeaderListSize = 16 * 1024
        limits.maxHeaderFieldCount = 100
        return limits
    }()
    /// From the connection's start (TLS handshake included) or the previous response, a whole request
    /// must arrive within this: a client that sends slowly or not at all (slowloris) is closed.
    static let requestTimeout = TimeAmount.seconds(10)

    private let router: HTTPSRouter
    private let timeout: TimeAmount
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var serverName: String?
    private var deadline: Scheduled<Void>?

    init(router: HTTPSRouter, timeout: TimeAmount = HTTPSRequestHandler.requestTimeout) {
        self.router = router
        self.timeout = timeout
    }

    /// Puts NIO's HTTP/1.1 server handlers (decoder with `decoderLimits`, encoder, pipelining, 400 for what
    /// does not parse) in front of itself, so a listener adds this one handler as it adds a mail protocol's.
    func handlerAdded(context: ChannelHandlerContext) {
        do {
            try context.pipeline.syncOperations.configureHTTPServerPipeline(
                position: .before(self), withEncoderConfiguration: .init(), withDecoderLimitConfiguration: Self.decoderLimits)
        } catch {
            context.close(promise: nil)
            return
        }
        armDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            bodyTooLarge = false
        case .body(let chunk):
            guard !bodyTooLarge else { return }
            if body.count + chunk.readableBytes > Self.maximumBodySize {
                bodyTooLarge = true
                body = []
            } else {
                body += chunk.readableBytesView
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            deadline?.cancel()
            respond(to: requestHead, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let handshake = event as? TLSHandshakeCompleted {
            serverName = handshake.info.serverName
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request NIO could not parse (its error handler has answered 400) or a socket error: the connection is done.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(to requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        if bodyTooLarge {
            // The rest of an oversized body was read and dropped; the connection is not worth keeping.
            let response = HTTPSResponse.text(.payloadTooLarge, "The request body is larger than \(Self.maximumBodySize) bytes.\n")
            return write(response, to: requestHead, close: true, context: context)
        }
        let request = HTTPSRouter.Request(
            method: requestHead.method, uri: requestHead.uri, version: requestHead.version,
            host: requestHead.headers.first(name: "Host"), serverName: serverName, body: body)
        body = []
        write(router.respond(to: request), to: requestHead, close: false, context: context)
        armDeadline(context: context)
    }

    private func write(_ response: HTTPSResponse, to requestHead: HTTPRequestHead, close: Bool, context: ChannelHandlerContext) {
        HTTPResponseWriter.write(
            response.status, body: ByteBuffer(bytes: response.body), contentType: response.contentType, headers: response.headers,
            to: requestHead, close: close || response.status == .badRequest, context: context)
    }

    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}
