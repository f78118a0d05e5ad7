public import DNS
import Foundation
public import NIOCore
import NIOPosix
public import TLS

/// Fetches a domain's MTA-STS policy over HTTPS with Loft's own TLS client (RFC 8461 §3.3): one hand-written
/// HTTP/1.1 GET for `/.well-known/mta-sts.txt` at `mta-sts.<domain>`, sent only once the server's certificate
/// is PKIX-valid for that name; status 200 only (no redirects), a body of at most 64 KiB, and one time
/// limit for the whole fetch.
public struct MTASTSPolicyFetcher: Sendable {
    /// RFC 8461 §3.3 suggests a timeout of about a minute.
    public static let defaultTimeout: TimeAmount = .seconds(60)
    /// Policies are small; larger bodies are refused.
    public static let maximumPolicySize = 64 * 1024

    let tlsContext: TLSClientContext
    let group: any EventLoopGroup
    let timeout: TimeAmount
    let port: Int

    /// - Parameters:
    ///   - tlsContext: the outbound client context (system CAs and `[outbound_tls] ca_file`).
    ///   - timeout: for the whole fetch, every address tried included.
    ///   - port: 443; another port only for test networks.
    public init(tlsContext: TLSClientContext, group: any EventLoopGroup, timeout: TimeAmount = defaultTimeout, port: Int = 443) {
        self.tlsContext = tlsContext
        self.group = group
        self.timeout = timeout
        self.port = port
    }

    /// The policy host of `domain`: `mta-sts.<domain>`.
    public static func policyHost(of domain: String) -> String {
        "mta-sts." + domain.lowercased()
    }

    /// Fetches and parses the policy of `domain` from the policy host's `addresses` (resolved by the caller),
    /// trying them in order until one answers.
    /// - Throws: `MTASTSError.fetchFailed` (the last address's reason) or `.invalidPolicy`.
    public func fetchPolicy(domain: String, addresses: [IPAddress]) async throws(MTASTSError) -> MTASTSPolicy {
        try MTASTSPolicy.parse(try await fetchPolicyText(domain: domain, addresses: addresses))
    }

    /// The body of the policy resource, unparsed.
    /// - Throws: `MTASTSError.fetchFailed`.
    public func fetchPolicyText(domain: String, addresses: [IPAddress]) async throws(MTASTSError) -> [UInt8] {
        let host = Self.policyHost(of: domain)
        guard !addresses.isEmpty else { throw .fetchFailed("\(host) has no address") }
        let deadline = NIODeadline.now() + timeout
        var reason = ""
        for address in addresses {
            let remaining = deadline - NIODeadline.now()
            guard remaining > .zero else {
                reason = "no answer from \(host) within \(timeout.nanoseconds / 1_000_000_000) s"
                break
            }
            do {
                return try await fetch(host: host, address: address, timeLimit: remaining)
            } catch {
                reason = "\(host) [\(address)]: \(error)"
            }
        }
        throw .fetchFailed(reason)
    }

    private func fetch(host: String, address: IPAddress, timeLimit: TimeAmount) async throws -> [UInt8] {
        let overall = timeout
        let deadline = NIODeadline.now() + timeLimit
        let eventLoop = group.next()
        let done = eventLoop.makePromise(of: [UInt8].self)
        let expectation = TLSPeerExpectation(serverName: host, referenceNames: [host])
        let tlsContext = self.tlsContext
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeLimit)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(TLSClientHandler(context: tlsContext, expectation: expectation))
                    try operations.addHandler(PolicyFetchHandler(host: host, done: done))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: try SocketAddress(ipAddress: address.description, port: port)).get()
        } catch {
            done.fail(error)  // the handler was never added
            throw FetchProblem(text: "cannot connect: \(Self.describe(error))")
        }
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            done.fail(FetchProblem(text: "no complete answer within \(overall.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        return try await done.futureResult.get()
    }

    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if case ChannelError.connectTimeout = error { return "timed out" }
        return "\(error)"
    }
}

/// A reason, as an error.
struct FetchProblem: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}

/// Sends the GET once the handshake has verified the certificate, and reads the response. Lives on its
/// channel's event loop only.
private final class PolicyFetchHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let host: String
    private let done: EventLoopPromise<[UInt8]>
    private var reader = PolicyHTTPResponseReader(maximumBodySize: MTASTSPolicyFetcher.maximumPolicySize)
    private var requestSent = false
    private var closedUncleanly = false
    private var finished = false

    init(host: String, done: EventLoopPromise<[UInt8]>) {
        self.host = host
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSClientHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // RFC 8461 §3.3: the certificate must be valid for mta-sts.<domain> and chain to a trusted root.
        guard case .verified = completed.info.verification else {
            let reason: String
            if case .failed(let why) = completed.info.verification { reason = why } else { reason = "not PKIX-verified" }
            finish(.failed("the certificate of \(host) is not valid: \(reason)"), context: context)
            return
        }
        let request = "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: Loft\r\n"
            + "Accept: text/plain\r\nConnection: close\r\n\r\n"
        requestSent = true
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard requestSent, !finished else { return }
        let bytes = unwrapInboundIn(data)
        finish(reader.append(bytes.readableBytesView), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls = error as? TLSError, tls.kind == .uncleanShutdown, requestSent {
            closedUncleanly = true  // channelInactive follows and decides
            return
        }
        finish(.failed("\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if requestSent {
            finish(reader.connectionClosed(cleanly: !closedUncleanly), context: context)
        }
        finish(.failed("the connection closed before the TLS handshake completed"), context: context)
        context.fireChannelInactive()
    }

    private func finish(_ progress: PolicyHTTPResponseReader.Progress, context: ChannelHandlerContext) {
        guard !finished else { return }
        switch progress {
        case .needMore:
            return
        case .complete(let body):
            finished = true
            done.succeed(body)
        case .failed(let reason):
            finished = true
            done.fail(FetchProblem(text: reason))
        }
        context.close(promise: nil)
    }
}
