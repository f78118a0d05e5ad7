import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
import POP3
import Synchronization
import Testing
import TestSupport

/// Counts the `read()` calls that get past the POP3 handler to the socket.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// A socket whose send buffer fills with every write: the channel turns unwritable until the
/// test drains it.
final class FillingSocket: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var isFilling = false
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if isFilling, let channel = context.channel as? EmbeddedChannel { channel.isWritable = false }
        context.write(data, promise: promise)
    }
}

/// A socket that fills with every write and drains at once, as a fast loopback peer does: the
/// channel turns unwritable and writable again inside the write call.
final class FlappingSocket: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard let channel = context.channel as? EmbeddedChannel else { return }
        channel.isWritable = false
        context.fireChannelWritabilityChanged()
        channel.isWritable = true
        context.fireChannelWritabilityChanged()
    }
}

/// One large message, served in pieces.
struct LargeMessageBackend: POP3Backend {
    final class Maildrop: POP3Maildrop {
        let body: [UInt8]
        let messages: [POP3MessageInfo]
        let readsStarted = Mutex(0)
        init(body: [UInt8]) {
            self.body = body
            self.messages = [POP3MessageInfo(uniqueID: "big", size: body.count)]
        }
        func openMessage(_ index: Int) throws -> any POP3MessageReader {
            readsStarted.withLock { $0 += 1 }
            return MemoryMessageReader(body)
        }
        func delete(_ indices: [Int]) throws {}
        func release() {}
    }

    let maildrop: Maildrop
    func authenticate(username: String, password: String, clientIP: String) -> POP3AuthResult { .success(login: "alice@example.org") }
    func failureDelay(clientIP: String) -> Duration { .zero }
    func openMaildrop(login: String) throws(POP3MaildropError) -> any POP3Maildrop { maildrop }
}

@Suite struct POP3BackpressureTests {
    /// 1 MiB of 100-byte lines, every tenth one starting with a dot.
    static let body: [UInt8] = {
        var text = "Subject: big\r\n\r\n"
        var line = 0
        while text.utf8.count < 1024 * 1024 {
            text += (line % 10 == 0 ? "." : "x") + String(repeating: "y", count: 97) + "\r\n"
            line += 1
        }
        return Array(text.utf8)
    }()

    private func connect(_ backend: LargeMessageBackend) throws -> (EmbeddedChannel, ReadCounter) {
        let channel = EmbeddedChannel()
        let counter = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(POP3ServerHandler(
            configuration: .init(tlsMode: .implicit), backend: backend, services: ConnectionServices(blockingWork: InlineWorkRunner()), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        _ = try output(channel)
        return (channel, counter)
    }

    private func output(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test("RETR of a message larger than a chunk arrives whole and byte-exact, dot-stuffed across chunks")
    func largeMessageIsExact() throws {
        let backend = LargeMessageBackend(maildrop: .init(body: Self.body))
        let (channel, _) = try connect(backend)
        try channel.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\nRETR 1\r\nTOP 1 3\r\n"))
        let text = String(decoding: try output(channel), as: UTF8.self)
        var expected = ByteBuffer(string: "+OK\r\n+OK Logged in.\r\n+OK \(Self.body.count) octets\r\n")
        DotStuffing.encode(Self.body, into: &expected)
        expected.writeString("+OK \(Self.body.count) octets\r\n")
        DotStuffing.encode(Self.body, bodyLineLimit: 3, into: &expected)
        #expect(text == String(buffer: expected))
    }

    @Test("a client that pipelines RETRs and reads nothing holds one chunk, not the messages")
    func pipelinedRetrWithoutReading() throws {
        let backend = LargeMessageBackend(maildrop: .init(body: Self.body))
        let (channel, _) = try connect(backend)
        let socket = FillingSocket()
        try channel.pipeline.syncOperations.addHandler(socket, position: .first)
        try channel.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\n"))
        _ = try output(channel)

        socket.isFilling = true
        try channel.writeInbound(ByteBuffer(string: String(repeating: "RETR 1\r\n", count: 1_000)))
        let firstPart = try output(channel)
        #expect(firstPart.count <= 70 * 1024, "more than one chunk went out while the socket was full")
        #expect(backend.maildrop.readsStarted.withLock { $0 } == 1)

        // Each time the socket drains, one more chunk goes out; the RETRs are served in order.
        var total = firstPart.count
        while backend.maildrop.readsStarted.withLock({ $0 }) < 3 {
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
            let chunk = try output(channel)
            #expect(!chunk.isEmpty && chunk.count <= 70 * 1024)
            if chunk.isEmpty { break }
            total += chunk.count
        }
        #expect(total > 2 * Self.body.count)
        #expect(total < 3 * Self.body.count + 70 * 1024)
        _ = try? channel.finish()
    }

    @Test("no read reaches the socket while output is not writable; it goes through once it is")
    func readsWaitForWritability() throws {
        let backend = LargeMessageBackend(maildrop: .init(body: Self.body))
        let (channel, counter) = try connect(backend)
        channel.isWritable = false
        let before = counter.reads
        channel.pipeline.read()
        #expect(counter.reads == before)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == before + 1)
        channel.pipeline.read()
        #expect(counter.reads == before + 2)
    }

    @Test("pipelined commands wait while output is not writable, then are answered in order")
    func commandsWaitForWritability() throws {
        let backend = LargeMessageBackend(maildrop: .init(body: Self.body))
        let (channel, _) = try connect(backend)
        try channel.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\n"))
        _ = try output(channel)
        channel.isWritable = false
        try channel.writeInbound(ByteBuffer(string: "STAT\r\nLIST\r\nNOOP\r\n"))
        #expect(try output(channel).isEmpty)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        let text = String(decoding: try output(channel), as: UTF8.self)
        #expect(text == "+OK 1 \(Self.body.count)\r\n+OK 1 messages\r\n1 \(Self.body.count)\r\n.\r\n+OK\r\n")
    }

    @Test("writability flapping inside a write never starts the next RETR before the current one is out")
    func flappingWritabilityKeepsResponsesWhole() throws {
        let backend = LargeMessageBackend(maildrop: .init(body: Self.body))
        let (channel, _) = try connect(backend)
        try channel.pipeline.syncOperations.addHandler(FlappingSocket(), position: .first)
        try channel.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\nRETR 1\r\nRETR 1\r\n"))
        var expected = ByteBuffer(string: "+OK\r\n+OK Logged in.\r\n")
        for _ in 0..<2 {
            expected.writeString("+OK \(Self.body.count) octets\r\n")
            DotStuffing.encode(Self.body, into: &expected)
        }
        #expect(try output(channel) == Array(expected.readableBytesView))
    }
}
