import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
import POP3
import Synchronization
import Testing
import TestSupport

/// A maildrop in memory: three messages, deletions recorded.
final class MemoryMaildrop: POP3Maildrop {
    static let bodies: [[UInt8]] = [
        Array("Subject: one\r\n\r\n.dot\r\n".utf8), Array("Subject: two\n\nbare lf\n".utf8), Array("Subject: three\r\n\r\nno newline".utf8),
    ]
    let messages = bodies.enumerated().map { POP3MessageInfo(uniqueID: "uid\($0.offset)", size: $0.element.count) }
    let deleted = Mutex<[Int]>([])
    let released = Mutex(false)

    func openMessage(_ index: Int) throws -> any POP3MessageReader { MemoryMessageReader(Self.bodies[index]) }
    func delete(_ indices: [Int]) throws { deleted.withLock { $0 += indices } }
    func release() { released.withLock { $0 = true } }
}

/// Hands out `bytes` in pieces of the size asked for.
final class MemoryMessageReader: POP3MessageReader {
    private let bytes: Mutex<ArraySlice<UInt8>>
    init(_ bytes: [UInt8]) { self.bytes = Mutex(bytes[...]) }
    func read(upTo maxBytes: Int) throws -> [UInt8] {
        bytes.withLock { rest in
            defer { rest = rest.dropFirst(maxBytes) }
            return Array(rest.prefix(maxBytes))
        }
    }
    func close() {}
}

struct MemoryPOP3Backend: POP3Backend {
    let maildrop = MemoryMaildrop()
    func authenticate(username: String, password: String, clientIP: String) -> POP3AuthResult {
        username == "alice" && password == "secret" ? .success(login: "alice@example.org") : .failure
    }
    func failureDelay(clientIP: String) -> Duration { .zero }
    func openMaildrop(login: String) throws(POP3MaildropError) -> any POP3Maildrop { maildrop }
}


/// Random, partly well-formed input in random pieces: the handler must never trap, every
/// response must start with +OK, -ERR or "+ ", and nothing is deleted without QUIT.
@Suite struct POP3RandomInputTests {
    static let pieces = [
        "USER alice\r\n", "PASS secret\r\n", "PASS wrong\r\n", "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", "AUTH LOGIN\r\n", "*\r\n",
        "STAT\r\n", "LIST\r\n", "LIST 2\r\n", "LIST 99\r\n", "RETR 1\r\n", "RETR 3\r\n", "TOP 2 0\r\n", "TOP 1 99999\r\n",
        "UIDL\r\n", "UIDL 3\r\n", "DELE 1\r\n", "DELE 2\r\n", "RSET\r\n", "NOOP\r\n", "CAPA\r\n", "STLS\r\n",
        "RETR 0\r\n", "RETR 999999999\r\n", "DELE -1\r\n", "\r\n", "\n", "\r", String(repeating: "X", count: 700) + "\r\n",
    ]

    @Test("random pipelined input never traps, every response is well-formed, nothing is deleted without QUIT",
          arguments: 0..<40)
    func randomSessions(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        let backend = MemoryPOP3Backend()
        let channel = EmbeddedChannel()
        let handler = POP3ServerHandler(
            configuration: .init(tlsMode: .implicit), backend: backend, services: ConnectionServices(blockingWork: InlineWorkRunner()), logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()

        var input = Array("USER alice\r\nPASS secret\r\n".utf8)
        for _ in 0..<50 {
            if random.next() % 6 == 0 {
                input += (0..<(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                input += Array(Self.pieces[Int(random.next() % UInt64(Self.pieces.count))].utf8)
            }
        }
        var offset = 0
        while offset < input.count, channel.isActive {
            let end = min(offset + 1 + Int(random.next() % 300), input.count)
            try channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
            channel.embeddedEventLoop.run()
            offset = end
        }

        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(decoding: buffer.readableBytesView, as: UTF8.self) }
        // Responses are checked line by line outside multi-line bodies (which end with ".").
        var inBody = false
        for line in text.components(separatedBy: "\r\n").dropLast() {
            if inBody {
                if line == "." { inBody = false }
                continue
            }
            #expect(line.hasPrefix("+OK") || line.hasPrefix("-ERR") || line.hasPrefix("+ "), "malformed response: \(line)")
            // The first lines of multi-line responses (RETR/TOP, LIST, UIDL, CAPA, AUTH).
            inBody = line.hasPrefix("+OK") && ["octets", "follows", "follow", " messages"].contains { line.hasSuffix($0) }
        }
        #expect(backend.maildrop.deleted.withLock { $0 }.isEmpty, "deleted without QUIT")
        _ = try? channel.finish()
        #expect(backend.maildrop.released.withLock { $0 })
    }
}

