import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
import POP3
import Synchronization
import Testing
import TestSupport


/// One message of 300 KB, read in the chunks RETR asks for.
final class LargeMaildrop: POP3Maildrop {
    static let body = Array(("Subject: big\r\n\r\n" + String(repeating: "0123456789abcdef\r\n", count: 17_000)).utf8)
    let messages = [POP3MessageInfo(uniqueID: "big", size: body.count)]
    func openMessage(_ index: Int) throws -> any POP3MessageReader { MemoryMessageReader(Self.body) }
    func delete(_ indices: [Int]) throws {}
    func release() {}
}

struct LargePOP3Backend: POP3Backend {
    func authenticate(username: String, password: String, clientIP: String) -> POP3AuthResult {
        .success(login: "alice@example.org")
    }
    func failureDelay(clientIP: String) -> Duration { .zero }
    func openMaildrop(login: String) throws(POP3MaildropError) -> any POP3Maildrop { LargeMaildrop() }
}

@Suite struct POP3ShutdownTests {
    @Test("a shutdown during RETR lets the message finish (with its final dot), then says -ERR [SYS/TEMP]")
    func shutdownWaitsForRetrieve() throws {
        let runner = HeldWorkRunner()
        let channel = EmbeddedChannel()
        let handler = POP3ServerHandler(
            configuration: .init(tlsMode: .implicit), backend: LargePOP3Backend(),
            services: ConnectionServices(blockingWork: runner), logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        func output() -> String {
            var text = ""
            while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
                text += String(decoding: buffer.readableBytesView, as: UTF8.self)
            }
            return text
        }
        func settle() -> String {
            var text = output()
            while runner.hasPending {
                runner.runNext()
                channel.embeddedEventLoop.run()
                text += output()
            }
            return text
        }
        try channel.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\n"))
        #expect(settle().contains("+OK"))
        try channel.writeInbound(ByteBuffer(string: "RETR 1\r\n"))
        runner.runNext()  // the first chunk only
        var text = output()
        #expect(text.hasPrefix("+OK \(LargeMaildrop.body.count) octets\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(ServerShuttingDown())
        text += settle()
        #expect(text.hasSuffix("0123456789abcdef\r\n.\r\n-ERR [SYS/TEMP] Server shutting down.\r\n"), "\(text.suffix(120))")
        #expect(text.components(separatedBy: "-ERR").count == 2, "one -ERR, after the message")
        _ = try? channel.finish()
    }
}
