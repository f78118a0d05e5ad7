import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
import SMTP
import Testing
import TestSupport

/// The limits that keep one submission connection bounded: BDAT chunk sizes, the discard cap
/// and deadline after a size refusal, the login timeout, and paused reading.
@Suite struct SMTPLimitsTests {
    private func connect(limits: SMTPLimits, backend: MemoryBackend = MemoryBackend()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(SMTPServerHandler(
            configuration: SMTPServerConfiguration(hostname: "mx.example.org", tlsMode: .implicit, limits: limits),
            backend: backend, services: ConnectionServices(blockingWork: InlineWorkRunner()), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        channel.pipeline.fireUserInboundEventTriggered(
            TLSHandshakeCompleted(info: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")))
        _ = try replies(channel)
        return channel
    }

    private func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text.split(separator: "\r\n").map(String.init)
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) throws -> [String] {
        try channel.writeInbound(ByteBuffer(string: text))
        channel.embeddedEventLoop.run()
        return try replies(channel)
    }

    private let transaction = "EHLO client.example\r\nAUTH PLAIN \(String.alicePlain)\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"

    @Test("a BDAT chunk larger than the message size limit is refused with 552 and the connection closes")
    func hugeBDATChunk() throws {
        var limits = SMTPLimits()
        limits.maxMessageSize = 1000
        let backend = MemoryBackend()
        let channel = try connect(limits: limits, backend: backend)
        _ = try send(channel, transaction)
        let out = try send(channel, "BDAT 999999999999999999 LAST\r\n")
        #expect(out == ["552 5.3.4 BDAT chunk of 999999999999999999 octets exceeds the message size limit of 1000 octets, closing"])
        #expect(!channel.isActive)
        #expect(backend.committed.isEmpty)
    }

    @Test("a chunk of exactly the limit is read; together with more it is refused at the end with 552")
    func chunkAtLimit() throws {
        var limits = SMTPLimits()
        limits.maxMessageSize = 100
        let backend = MemoryBackend()
        let channel = try connect(limits: limits, backend: backend)
        _ = try send(channel, transaction)
        #expect(try send(channel, "BDAT 100\r\n" + String(repeating: "a", count: 100)) == ["250 2.0.0 100 octets received"])
        #expect(try send(channel, "BDAT 1 LAST\r\nb") == ["552 5.3.4 Message size exceeds fixed limit of 100 octets"])
        #expect(channel.isActive)
        #expect(backend.committed.isEmpty)
    }

    @Test("DATA refused for its size is thrown away only up to the discard cap; then 552 and close")
    func discardCap() throws {
        var limits = SMTPLimits()
        limits.maxMessageSize = 100
        limits.maxDiscardedContent = 1000
        let backend = MemoryBackend()
        let channel = try connect(limits: limits, backend: backend)
        _ = try send(channel, transaction + "DATA\r\n")
        // 11 lines of 100 octets: 1,000 past the limit, all thrown away.
        for _ in 0..<11 { #expect(try send(channel, String(repeating: "x", count: 98) + "\r\n") == []) }
        #expect(channel.isActive)
        #expect(try send(channel, String(repeating: "x", count: 98) + "\r\n") == ["552 5.3.4 Message size exceeds fixed limit of 100 octets, closing"])
        #expect(!channel.isActive)
        #expect(backend.committed.isEmpty)
        #expect(backend.aborted == 1)
    }

    @Test("DATA refused for its size that is still arriving at the discard deadline: 552 and close")
    func discardDeadline() throws {
        var limits = SMTPLimits()
        limits.maxMessageSize = 100
        limits.discardTimeout = .seconds(30)
        let channel = try connect(limits: limits)
        _ = try send(channel, transaction + "DATA\r\n" + String(repeating: "x", count: 200) + "\r\n")
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try replies(channel) == [])
        #expect(try send(channel, "more\r\n") == [])
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try replies(channel) == ["552 5.3.4 Message size exceeds fixed limit of 100 octets, closing"])
        #expect(!channel.isActive)
    }

    @Test("no AUTH within the login timeout: 421 4.4.2 and close, even while the client keeps sending")
    func loginTimeout() throws {
        var limits = SMTPLimits()
        limits.loginTimeout = .seconds(60)
        let channel = try connect(limits: limits)
        for _ in 0..<5 {
            #expect(try send(channel, "NOOP\r\n") == ["250 2.0.0 Ok"])
            channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try replies(channel) == ["421 4.4.2 mx.example.org Error: login timeout exceeded"])
        #expect(!channel.isActive)
    }

    @Test("a session that logged in in time is not cut off by the login timeout")
    func loggedInInTime() throws {
        var limits = SMTPLimits()
        limits.loginTimeout = .seconds(60)
        let channel = try connect(limits: limits)
        _ = try send(channel, "EHLO client.example\r\nAUTH PLAIN \(String.alicePlain)\r\n")
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(try send(channel, "NOOP\r\n") == ["250 2.0.0 Ok"])
        #expect(channel.isActive)
    }
}
