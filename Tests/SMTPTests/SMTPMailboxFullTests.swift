import Foundation
import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
@testable import SMTP
import Testing
import TestSupport

/// A backend whose user full@example.org has no room: at RCPT for any declared size above 100 (or none
/// at all for full@), and after DATA for every message (its writer refuses the commit).
private final class QuotaBackend: SMTPBackend, @unchecked Sendable {
    final class Writer: SMTPMessageWriter, @unchecked Sendable {
        let refuse: Bool
        private(set) var committed = false
        init(refuse: Bool) { self.refuse = refuse }
        func write(_ buffer: ByteBuffer) throws {}
        func commit() throws {
            if refuse { throw SMTPStorageRefusal(SMTPReply(552, "5.2.2 Mailbox full: <tight@example.org>")) }
            committed = true
        }
        func abort() {}
    }

    private let lock = NSLock()
    private var sizes: [Int?] = []
    var declaredSizes: [Int?] { lock.withLock { sizes } }

    func authenticate(username: String, password: String, clientIP: String) -> SMTPAuthResult {
        .success(login: "alice@example.org")
    }
    func failureDelay(clientIP: String) -> Duration { .zero }
    func checkSender(_ address: String, login: String) throws -> SMTPSenderCheck { .allowed }
    func checkRecipient(_ address: String) -> SMTPRecipientCheck { .local }
    func checkRecipient(_ address: String, declaredSize: Int?) -> SMTPRecipientCheck {
        lock.withLock { sizes.append(declaredSize) }
        if address.hasPrefix("full@") { return .mailboxFull }
        if address.hasPrefix("tight@"), let declaredSize, declaredSize > 100 { return .mailboxFull }
        return .local
    }
    func beginMessage(_ envelope: SMTPEnvelope) throws -> any SMTPMessageWriter {
        Writer(refuse: envelope.recipients.allSatisfy { $0.address.hasPrefix("tight@") })
    }
}

@Suite struct SMTPMailboxFullTests {
    private func connect(_ backend: QuotaBackend) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handler = SMTPServerHandler(
            configuration: SMTPServerConfiguration(hostname: "mx.example.org", tlsMode: .implicit, limits: SMTPLimits()),
            backend: backend, services: ConnectionServices(blockingWork: InlineWorkRunner()), logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        channel.pipeline.fireUserInboundEventTriggered(TLSHandshakeCompleted(info: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")))
        _ = try send(channel, "EHLO client.example\r\nAUTH PLAIN \(String.alicePlain)\r\n")
        return channel
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) throws -> [String] {
        try channel.writeInbound(ByteBuffer(string: text))
        channel.embeddedEventLoop.run()
        var output = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { output += String(buffer: buffer) }
        return output.split(separator: "\r\n").map(String.init)
    }

    @Test("RCPT to a full mailbox gets 552 5.2.2 and the other recipients go on; the declared SIZE reaches the backend")
    func fullAtRecipient() throws {
        let backend = QuotaBackend()
        let channel = try connect(backend)
        let replies = try send(channel, "MAIL FROM:<alice@example.org> SIZE=500\r\nRCPT TO:<full@example.org>\r\n"
            + "RCPT TO:<tight@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        #expect(replies == [
            "250 2.1.0 Ok", "552 5.2.2 <full@example.org>: Mailbox full", "552 5.2.2 <tight@example.org>: Mailbox full",
            "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
        ])
        #expect(try send(channel, "Subject: x\r\n\r\nx\r\n.\r\n").first?.hasPrefix("250 2.0.0 Ok: queued as") == true)
        #expect(backend.declaredSizes == [500, 500, 500])
    }

    @Test("a message refused by storage after DATA gets the backend's reply, and the session goes on")
    func fullAfterData() throws {
        let backend = QuotaBackend()
        let channel = try connect(backend)
        #expect(try send(channel, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<tight@example.org>\r\nDATA\r\n").last
            == "354 End data with <CR><LF>.<CR><LF>")
        #expect(try send(channel, "Subject: x\r\n\r\nx\r\n.\r\n") == ["552 5.2.2 Mailbox full: <tight@example.org>"])
        #expect(try send(channel, "MAIL FROM:<alice@example.org>\r\n") == ["250 2.1.0 Ok"])
        #expect(backend.declaredSizes == [nil])
    }
}
