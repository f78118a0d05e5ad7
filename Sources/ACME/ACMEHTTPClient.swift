import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import TLS

/// One HTTP response from the CA.
public struct ACMEHTTPResponse: Sendable {
    public var status: Int
    /// Header fields as received (names compared case-insensitively through `header(_:)`).
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the field `name`.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// A minimal HTTPS/1.1 client for ACME over Loft's own TLS client: one connection per request, the
/// server's certificate PKIX-verified for the URL's host before anything is sent, NIO's HTTP/1.1 codec,
/// a size limit on the response and a time limit on the whole exchange.
public struct ACMEHTTPClient: Sendable {
    /// Directory, order and certificate documents are small; a larger answer is refused.
    public static let maximumResponseSize = 1024 * 1024
    public static let defaultTimeout: TimeAmount = .seconds(30)

    let tlsContext: TLSClientContext
    let group: any EventLoopGroup
    let timeout: TimeAmount

    /// - Parameter tlsContext: trust for the CA's HTTPS server (system CAs plus `[tls.acme] ca_file`).
    public init(tlsContext: TLSClientContext, group: any EventLoopGroup, timeout: TimeAmount = defaultTimeout) {
        self.tlsContext = tlsContext
        self.group = group
        self.timeout = timeout
    }

    /// Sends one request to an `https` URL.
    /// - Throws: `ACMEError.transport`.
    public func send(_ method: HTTPMethod, _ urlText: String, body: [UInt8]? = nil,
                     contentType: String? = nil, accept: String = "application/json") async throws(ACMEError) -> ACMEHTTPResponse {
        guard let url = URL(string: urlText), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty else {
            throw .transport("\(urlText) is not an https URL")
        }
        let port = url.port ?? 443
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "User-Agent", value: "Loft-ACME")
        head.headers.add(name: "Accept", value: accept)
        head.headers.add(name: "Connection", value: "close")
        if let body {
            head.headers.add(name: "Content-Length", value: "\(body.count)")
            if let contentType { head.headers.add(name: "Content-Type", value: contentType) }
        }
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let expectation = TLSPeerExpectation(serverName: isAddress ? nil : host, referenceNames: [host])
        do {
            return try await exchange(host: host, port: port, head: head, body: body, expectation: expectation)
        } catch let error as ACMEError {
            throw error
        } catch {
            throw .transport("\(method) \(urlText): \(Self.describe(error))")
        }
    }

    private func exchange(host: String, port: Int, head: HTTPRequestHead, body: [UInt8]?,
                          expectation: TLSPeerExpectation) async throws -> ACMEHTTPResponse {
        let eventLoop = group.next()
        let done = eventLoop.makePromise(of: ACMEHTTPResponse.self)
        let tlsContext = self.tlsContext
        let what = "\(head.method) https://\(host):\(port)\(head.uri)"
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(TLSClientHandler(context: tlsContext, expectation: expectation))
                    try operations.addHTTPClientHandlers()
                    try operations.addHandler(ACMEExchangeHandler(head: head, body: body, what: what, done: done))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            done.fail(error)
            throw ACMEError.transport("\(what): cannot connect: \(Self.describe(error))")
        }
        let limit = timeout
        let timer = eventLoop.scheduleTask(in: timeout) {
            done.fail(ACMEError.transport("\(what): no complete answer within \(limit.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        return try await done.futureResult.get()
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if case ChannelError.connectTimeout = error { return "timed out" }
        return "\(error)"
    }
}

/// Sends the request once the CA's certificate is verified and collects the response. Lives on its
/// channel's event loop only.
private final class ACMEExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: [UInt8]?
    private let what: String
    private let done: EventLoopPromise<ACMEHTTPResponse>
    private var response: ACMEHTTPResponse?
    private var finished = false

    init(head: HTTPRequestHead, body: [UInt8]?, what: String, done: EventLoopPromise<ACMEHTTPResponse>) {
        self.head = head
        self.body = body
        self.what = what
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSClientHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard case .verified = completed.info.verification else {
            var reason = "not PKIX-verified"
            if case .failed(let why) = completed.info.verification { reason = why }
            fail("\(what): the CA's certificate is not valid: \(reason) (set [tls.acme] ca_file for a private CA)",
                 context: context)
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = ACMEHTTPResponse(status: Int(head.status.code),
                                        headers: head.headers.map { ($0.name, $0.value) }, body: [])
        case .body(let buffer):
            guard response != nil else { return }
            response!.body.append(contentsOf: buffer.readableBytesView)
            if response!.body.count > ACMEHTTPClient.maximumResponseSize {
                fail("\(what): the answer is larger than \(ACMEHTTPClient.maximumResponseSize / 1024) KiB", context: context)
            }
        case .end:
            guard let response else { return }
            finished = true
            done.succeed(response)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls = error as? TLSError, tls.kind == .uncleanShutdown { return }  // channelInactive decides
        fail("\(what): \(ACMEHTTPClient.describe(error))", context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("\(what): the connection closed before the answer was complete", context: context)
        context.fireChannelInactive()
    }

    private func fail(_ reason: String, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        done.fail(ACMEError.transport(reason))
        context.close(promise: nil)
    }
}
