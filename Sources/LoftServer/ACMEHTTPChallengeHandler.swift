import ACME
import NIOCore
import NIOHTTP1
import NIOPosix

/// An `http` listener (port 80): answers ACME http-01 challenges (RFC 8555 §8.3) and redirects every other
/// request to the same path over HTTPS with a 301. Requests whose head NIO cannot parse (or longer than its
/// 80 KiB limit) get NIO's 400; a body larger than `maximumBodySize`, a connection idle for `idleTimeout`,
/// and any connection older than `connectionTimeLimit` are closed.
/// Not Sendable: use it on its channel's event loop only.
final class ACMEHTTPChallengeHandler: HTTPResponseWriting {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let idleTimeout = TimeAmount.seconds(10)
    /// However busy a client keeps it (one byte every few seconds), a connection ends after this long.
    static let connectionTimeLimit = TimeAmount.seconds(30)
    /// Nothing Loft answers here has a body; more than this is not a client worth reading.
    static let maximumBodySize = 16 * 1024

    private let challenges: HTTP01Challenges
    /// Where to redirect when the request names no usable Host.
    private let hostname: String
    private var request: HTTPRequestHead?
    private var bodySize = 0
    private var deadline: Scheduled<Void>?

    init(challenges: HTTP01Challenges, hostname: String) {
        self.challenges = challenges
        self.hostname = hostname
    }

    /// Binds an `http` listener.
    static func bind(host: String, port: Int, group: any EventLoopGroup, challenges: HTTP01Challenges, hostname: String) throws -> any Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try pipeline.addHandler(ACMEHTTPChallengeHandler(challenges: challenges, hostname: hostname))
                }
            }
            .bind(host: host, port: port)
            .wait()
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: Self.connectionTimeLimit) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            bodySize = 0
        case .body(let chunk):
            bodySize += chunk.readableBytes
            if bodySize > Self.maximumBodySize { context.close(promise: nil) }
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = String(head.uri.prefix { $0 != "?" })
        if path.hasPrefix(HTTP01Challenges.pathPrefix), head.method == .GET || head.method == .HEAD {
            let token = String(path.dropFirst(HTTP01Challenges.pathPrefix.count))
            guard let keyAuthorization = challenges.keyAuthorization(token: token) else {
                return send(.notFound, text: "No such challenge.\n", to: head, context: context)
            }
            // RFC 8555 §8.3: the key authorization, as text/plain ("application/octet-stream" is allowed too).
            return send(.ok, body: context.channel.allocator.buffer(string: keyAuthorization), contentType: "text/plain",
                        to: head, context: context)
        }
        let target = head.uri.hasPrefix("/") ? head.uri : "/"
        send(.movedPermanently, text: "Moved to HTTPS.\n", to: head, context: context,
             extra: [("Location", "https://\(redirectHost(head))\(target)")])
    }

    /// The Host field without its port when it is a plain host name, else the server's hostname: a
    /// redirect never echoes what could be a header injection or a link elsewhere in disguise.
    private func redirectHost(_ head: HTTPRequestHead) -> String {
        guard let field = head.headers.first(name: "Host") else { return hostname }
        let name = field.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let usable = !name.isEmpty && name.count <= 253
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        return usable ? name.lowercased() : hostname
    }
}
