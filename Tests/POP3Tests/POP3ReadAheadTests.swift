import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
import POP3
import Synchronization
import Testing
import TestSupport

/// Many small messages; counts the disk jobs and the message opens.
final class ManySmallMessages: POP3Maildrop, POP3Backend {
    let bodies: [[UInt8]]
    let messages: [POP3MessageInfo]
    let opened = Mutex<[Int]>([])
    let unreadable = Mutex<Set<Int>>([])

    init(count: Int, bigAt big: Int? = nil) {
        bodies = (0..<count).map { n in
            let size = n == big ? 300_000 : 200 + 37 * n
            var text = "Subject: message \(n + 1)\r\n\r\n.a line that starts with a dot\r\n"
            while text.utf8.count < size { text += n % 2 == 0 ? "body of \(n + 1)\r\n" : ".\r\n" }
            return Array(text.utf8)
        }
        messages = bodies.enumerated().map { POP3MessageInfo(uniqueID: "u\($0.offset)", size: $0.element.count) }
    }

    func openMessage(_ index: Int) throws -> any POP3MessageReader {
        opened.withLock { $0.append(index) }
        if unreadable.withLock({ $0.contains(index) }) { throw POSIXErrorLike.gone }
        return MemoryMessageReader(bodies[index])
    }
    func delete(_ indices: [Int]) throws {}
    func release() {}

    func authenticate(username: String, password: String, clientIP: String) -> POP3AuthResult { .success(login: "alice@example.org") }
    func failureDelay(clientIP: String) -> Duration { .zero }
    func openMaildrop(login: String) throws(POP3MaildropError) -> any POP3Maildrop { self }

    enum POSIXErrorLike: Error { case gone }
}

/// Counts the blocking jobs the connection starts.
final class CountingWorkRunner: BlockingWorkRunner {
    let jobs = Mutex(0)
    func run<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        jobs.withLock { $0 += 1 }
        return InlineWorkRunner().run(on: eventLoop, work)
    }
}

/// Counts the writes that reach the socket.
final class WriteCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var writes = 0
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        writes += 1
        context.write(data, promise: promise)
    }
}

@Suite struct POP3ReadAheadTests {
    private func connect(_ backend: ManySmallMessages, _ runner: CountingWorkRunner) throws -> (EmbeddedChannel, WriteCounter) {
        let channel = EmbeddedChannel()
        let counter = WriteCounter()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(POP3ServerHandler(
            configuration: .init(tlsMode: .implicit), backend: backend, services: ConnectionServices(blockingWork: runner),
            logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        try channel.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\n"))
        _ = try output(channel)
        return (channel, counter)
    }

    private func output(_ channel: EmbeddedChannel) throws -> String {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func expectedResponse(_ body: [UInt8]) -> String {
        var expected = ByteBuffer(string: "+OK \(body.count) octets\r\n")
        DotStuffing.encode(body, into: &expected)
        return String(buffer: expected)
    }

    @Test("64 pipelined RETRs of small messages: the same bytes as one at a time, from 2 disk jobs, in a few writes")
    func pipelinedSmallMessages() throws {
        let backend = ManySmallMessages(count: 64)
        let runner = CountingWorkRunner()
        let (channel, counter) = try connect(backend, runner)
        let (jobsBefore, writesBefore) = (runner.jobs.withLock { $0 }, counter.writes)
        try channel.writeInbound(ByteBuffer(string: (1...64).map { "RETR \($0)\r\n" }.joined()))
        #expect(try output(channel) == backend.bodies.map(expectedResponse).joined())
        #expect(runner.jobs.withLock { $0 } - jobsBefore == 2, "32 messages read ahead per job, 33 in the first")
        #expect(counter.writes - writesBefore <= 8, "answers leave in 64 KiB writes, not one per message")
        #expect(backend.opened.withLock { $0 } == Array(0..<64), "every message read once, in order")
    }

    @Test("read-ahead stops at a DELE; a big message streams on its own; a RETR twice reads twice; TOP is not read ahead")
    func readAheadBoundaries() throws {
        let backend = ManySmallMessages(count: 10, bigAt: 6)
        let runner = CountingWorkRunner()
        let (channel, _) = try connect(backend, runner)
        let commands = "RETR 1\r\nRETR 2\r\nRETR 2\r\nDELE 3\r\nRETR 3\r\nRETR 4\r\nRETR 5\r\nRETR 7\r\nRETR 8\r\nTOP 9 0\r\nRETR 10\r\n"
        try channel.writeInbound(ByteBuffer(string: commands))
        let bodies = backend.bodies
        var top = ByteBuffer(string: "+OK \(bodies[8].count) octets\r\n")
        DotStuffing.encode(bodies[8], bodyLineLimit: 0, into: &top)
        let expected = [expectedResponse(bodies[0]), expectedResponse(bodies[1]), expectedResponse(bodies[1]),
                        "+OK Message 3 deleted.\r\n", "-ERR No such message.\r\n",
                        expectedResponse(bodies[3]), expectedResponse(bodies[4]), expectedResponse(bodies[6]),
                        expectedResponse(bodies[7]), String(buffer: top), expectedResponse(bodies[9])].joined()
        #expect(try output(channel) == expected)
        // RETR 1 reads 1 and 2 (the second RETR 2 is read again); RETR 4 reads 4 and 5 (7 is too big for the budget
        // left); 7 streams alone; RETR 8 has TOP behind it; RETR 10 has nothing behind it.
        #expect(backend.opened.withLock { $0 } == [0, 1, 1, 3, 4, 6, 7, 8, 9])
    }

    @Test("a message read ahead that cannot be read is reported by its own RETR; the others are served")
    func unreadableMessageReadAhead() throws {
        let backend = ManySmallMessages(count: 4)
        backend.unreadable.withLock { $0 = [2] }
        let (channel, _) = try connect(backend, CountingWorkRunner())
        try channel.writeInbound(ByteBuffer(string: "RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\nNOOP\r\n"))
        let text = try output(channel)
        #expect(text == [expectedResponse(backend.bodies[0]), expectedResponse(backend.bodies[1]),
                         "-ERR [SYS/TEMP] Message could not be read.\r\n",
                         expectedResponse(backend.bodies[3]), "+OK\r\n"].joined())
        #expect(backend.opened.withLock { $0 } == [0, 1, 2, 3, 2], "read ahead once, then by its own RETR")
    }

    @Test("answers read ahead for a client whose socket fills: each 64 KiB part is flushed, the rest follows as it drains")
    func readAheadWithFullSocket() throws {
        let backend = ManySmallMessages(count: 64)
        let (channel, _) = try connect(backend, CountingWorkRunner())
        let socket = FillingSocket()
        try channel.pipeline.syncOperations.addHandler(socket, position: .first)
        socket.isFilling = true
        try channel.writeInbound(ByteBuffer(string: (1...64).map { "RETR \($0)\r\n" }.joined()))
        var text = try output(channel)
        #expect(!text.isEmpty, "what was written before the socket filled must be flushed")
        for _ in 0..<64 where !channel.isWritable {
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
            text += try output(channel)
        }
        #expect(text == backend.bodies.map(expectedResponse).joined())
    }
}

