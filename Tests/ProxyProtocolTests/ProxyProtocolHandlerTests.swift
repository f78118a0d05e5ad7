import NIOCore
import NIOEmbedded
import ProxyProtocol
import Testing

/// The handler in front of a PROXY listener's pipeline: it builds the rest of the pipeline once the
/// header is in, hands on what followed the header, leaves; anything else closes the connection.
@Suite struct ProxyProtocolHandlerTests {
    /// Collects what reaches the handlers behind the PROXY handler.
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received: [UInt8] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += Array(unwrapInboundIn(data).readableBytesView)
        }
    }

    final class Outcome {
        var headers: [ProxyHeader] = []
        var refusals: [String] = []
    }

    /// A connected channel with the PROXY handler; `received` adds a `Collector` behind it.
    static func makeChannel(_ outcome: Outcome, collector: Collector) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handler = ProxyProtocolHandler(
            timeout: .seconds(5),
            received: { header in
                outcome.headers.append(header)
                try channel.pipeline.syncOperations.addHandler(collector)
            },
            refused: { outcome.refusals.append($0) })
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        return channel
    }

    @Test("a header split over reads, with the client's first bytes behind it: pipeline built, bytes handed on, handler gone")
    func headerThenProtocol() throws {
        let outcome = Outcome(), collector = Collector()
        let channel = try Self.makeChannel(outcome, collector: collector)
        try channel.writeInbound(ByteBuffer(string: "PROXY TCP4 192.0.2.7 "))
        #expect(outcome.headers.isEmpty)
        try channel.writeInbound(ByteBuffer(string: "198.51.100.1 51000 110\r\nCAPA\r\n"))
        #expect(outcome.headers == [ProxyHeader(
            version: .v1, source: try SocketAddress(ipAddress: "192.0.2.7", port: 51000),
            destination: try SocketAddress(ipAddress: "198.51.100.1", port: 110))])
        #expect(collector.received == Array("CAPA\r\n".utf8))
        #expect(throws: ChannelPipelineError.notFound) {
            try channel.pipeline.syncOperations.handler(type: ProxyProtocolHandler.self)
        }
        try channel.writeInbound(ByteBuffer(string: "QUIT\r\n"))
        #expect(collector.received == Array("CAPA\r\nQUIT\r\n".utf8))
        #expect(outcome.refusals.isEmpty)
        #expect(channel.isActive)
    }

    @Test("a client that speaks its protocol at once is refused and closed")
    func noHeader() throws {
        let outcome = Outcome(), collector = Collector()
        let channel = try Self.makeChannel(outcome, collector: collector)
        try channel.writeInbound(ByteBuffer(string: "a1 LOGIN alice secret\r\n"))
        #expect(outcome.refusals == ["not a PROXY protocol header"])
        #expect(outcome.headers.isEmpty)
        #expect(collector.received.isEmpty)
        #expect(!channel.isActive)
    }

    @Test("no header within the timeout: refused and closed")
    func timeout() throws {
        let outcome = Outcome(), collector = Collector()
        let channel = try Self.makeChannel(outcome, collector: collector)
        try channel.writeInbound(ByteBuffer(string: "PROXY TCP4"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(outcome.refusals.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(outcome.refusals == ["no PROXY header within 5000 ms"])
        #expect(!channel.isActive)
    }

    @Test("after the header the timeout no longer applies")
    func timeoutCancelled() throws {
        let outcome = Outcome(), collector = Collector()
        let channel = try Self.makeChannel(outcome, collector: collector)
        try channel.writeInbound(ByteBuffer(bytes: [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00]))
        #expect(outcome.headers == [ProxyHeader(version: .v2)])
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(outcome.refusals.isEmpty)
        #expect(channel.isActive)
    }
}
