import NIOCore
import NIOHTTP1

/// Writes one whole HTTP/1.1 response on a server pipeline (`configureHTTPServerPipeline`), for the
/// metrics endpoint and the HTTPS listener alike: `Content-Type`, `Content-Length`, no content for a HEAD
/// (RFC 9110 §9.3.2), and the connection closed after it unless the request keeps it alive.
enum HTTPResponseWriter {
    /// - Parameter close: close after this response even on a keep-alive connection.
    static func write(
        _ status: HTTPResponseStatus, body: ByteBuffer, contentType: String, headers extra: [(String, String)] = [],
        to request: HTTPRequestHead, close: Bool = false, context: ChannelHandlerContext
    ) {
        let keepAlive = request.isKeepAlive && !close
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.readableBytes)")] + extra)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if request.method != .HEAD { context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil) }
        let written = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}

/// A handler that answers with `HTTPResponseWriter` (`/metrics`, the ACME http-01 listener), and closes its
/// connection when it has been idle (`IdleStateHandler` in front) or on an error.
protocol HTTPResponseWriting: ChannelInboundHandler where OutboundOut == HTTPServerResponsePart {}

extension HTTPResponseWriting {
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A request NIO could not parse (it has answered 400) or a socket error: the connection is done.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// A `text/plain` response.
    func send(
        _ status: HTTPResponseStatus, text: String, to request: HTTPRequestHead, context: ChannelHandlerContext,
        extra: [(String, String)] = []
    ) {
        send(status, body: context.channel.allocator.buffer(string: text), contentType: "text/plain; charset=utf-8",
             to: request, context: context, extra: extra)
    }

    func send(
        _ status: HTTPResponseStatus, body: ByteBuffer, contentType: String, to request: HTTPRequestHead,
        context: ChannelHandlerContext, extra: [(String, String)] = []
    ) {
        HTTPResponseWriter.write(status, body: body, contentType: contentType, headers: extra, to: request, context: context)
    }
}
