import NIOCore
import NIOHTTP1

/// What Loft's small HTTP/1.1 endpoints (`/metrics`, the ACME http-01 listener) share: one complete
/// response per request, `Connection: close` when the client does not keep the connection alive, no
/// content for HEAD (RFC 9110 §9.3.2).
protocol HTTPResponseWriting: ChannelInboundHandler where OutboundOut == HTTPServerResponsePart {}

extension HTTPResponseWriting {
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
        let keepAlive = request.isKeepAlive
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.readableBytes)")] + extra)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
