import NIOCore
import NIOHTTP1

/// The Prometheus endpoint on one HTTP/1.1 connection: `GET` (or `HEAD`) `/metrics` answers with the text
/// exposition format; any other path is 404, any other method on it 405. Requests on a keep-alive
/// connection are answered in order (NIO's `HTTPServerPipelineHandler` in front holds the next one back).
/// Not Sendable: use it on its channel's event loop only.
final class MetricsHTTPHandler: HTTPResponseWriting, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let path = "/metrics"
    /// The Prometheus text format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders the metrics text, completing on the given loop.
    private let render: @Sendable (any EventLoop) -> EventLoopFuture<ByteBuffer>
    private var request: HTTPRequestHead?

    init(render: @escaping @Sendable (any EventLoop) -> EventLoopFuture<ByteBuffer>) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // GET and HEAD have none; whatever a client sends is read and dropped
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.prefix { $0 != "?" }
        guard path == Self.path else {
            return send(.notFound, text: "Loft serves only \(Self.path) here.\n", to: head, context: context)
        }
        guard head.method == .GET || head.method == .HEAD else {
            // RFC 9110 §15.5.6: a 405 lists the methods the resource has.
            return send(.methodNotAllowed, text: "Only GET and HEAD.\n", to: head, context: context, extra: [("Allow", "GET, HEAD")])
        }
        render(context.eventLoop).assumeIsolated().whenComplete { result in
            guard context.channel.isActive else { return }
            switch result {
            case .success(let body):
                self.send(.ok, body: body, contentType: Self.contentType, to: head, context: context)
            case .failure:
                self.send(.internalServerError, text: "The metrics could not be gathered.\n", to: head, context: context)
            }
        }
    }
}
