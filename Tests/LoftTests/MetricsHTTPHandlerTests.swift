@testable import LoftServer
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The `/metrics` HTTP handler behind NIO's HTTP/1.1 server pipeline, on an embedded channel: raw request
/// bytes in, raw response bytes out, as a scraper would see them.
@Suite struct MetricsHTTPHandlerTests {
    static let body = "# TYPE loft_test_total counter\nloft_test_total 7\n"

    private func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler { eventLoop in
            eventLoop.makeSucceededFuture(ByteBuffer(string: Self.body))
        })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9465)).wait()
        return channel
    }

    /// Sends `request` and returns everything written back.
    private func exchange(_ channel: EmbeddedChannel, _ request: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: request))
        var output = ""
        while let part = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = part else { Issue.record("file region written"); continue }
            output += String(buffer: buffer)
        }
        return output
    }

    private func header(_ name: String, in response: String) -> String? {
        let head = response.components(separatedBy: "\r\n\r\n")[0]
        return head.split(separator: "\r\n").dropFirst()
            .first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    private func content(of response: String) -> String {
        response.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    }

    @Test func getMetricsAnswersWithTheTextFormat() throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response)")
        #expect(header("Content-Type", in: response) == "text/plain; version=0.0.4; charset=utf-8")
        #expect(header("Content-Length", in: response) == "\(Self.body.utf8.count)")
        #expect(content(of: response) == Self.body)
        #expect(channel.isActive, "keep-alive: the scraper's connection stays open")
    }

    @Test func aQueryStringIsIgnored() throws {
        let response = try exchange(try makeChannel(), "GET /metrics?name[]=loft_logins_total HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response)")
        #expect(content(of: response) == Self.body)
    }

    @Test func headGetsTheHeadersWithoutTheContent() throws {
        let response = try exchange(try makeChannel(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response)")
        #expect(header("Content-Length", in: response) == "\(Self.body.utf8.count)")
        #expect(content(of: response).isEmpty)
    }

    @Test(arguments: ["/", "/metric", "/metrics/", "/favicon.ico", "/METRICS"])
    func otherPathsAreNotFound(_ path: String) throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(response)")
        #expect(!content(of: response).contains("loft_test_total"))
        #expect(channel.isActive)
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "OPTIONS"])
    func otherMethodsAreNotAllowed(_ method: String) throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "\(method) /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(response)")
        #expect(header("Allow", in: response) == "GET, HEAD")
        // The connection is still usable.
        let next = try exchange(channel, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(next.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(next)")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let response = try exchange(
            try makeChannel(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let notFound = try #require(response.range(of: "HTTP/1.1 404"))
        let ok = try #require(response.range(of: "HTTP/1.1 200"))
        #expect(notFound.lowerBound < ok.lowerBound)
    }

    @Test func http10WithoutKeepAliveIsClosedAfterTheResponse() throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.0 200 OK\r\n"), "\(response)")
        #expect(header("Connection", in: response) == "close")
        #expect(content(of: response) == Self.body)
        #expect(!channel.isActive)
    }

    @Test func garbageGetsBadRequestAndTheConnectionCloses() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "\u{1}\u{2}not http\r\n\r\n"))
        var response = ""
        while case .byteBuffer(let buffer)? = try channel.readOutbound(as: IOData.self) { response += String(buffer: buffer) }
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(response)")
        #expect(!channel.isActive)
    }

    @Test func anIdleConnectionIsClosed() throws {
        let channel = try makeChannel()
        #expect(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        #expect(!channel.isActive)
    }

    @Test func aRenderFailureIs500() throws {
        struct Broken: Error {}
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler { $0.makeFailedFuture(Broken()) })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9465)).wait()
        let response = try exchange(channel, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"), "\(response)")
    }

    @Test(arguments: [("TLSv1.3", "1.3"), ("TLSv1.2", "1.2"), ("SSLv3", "sslv3")])
    func tlsVersionLabels(_ pair: (String, String)) {
        #expect(ListenerMetrics.versionLabel(pair.0) == pair.1)
    }
}
