import Foundation
import LineProtocol
import NIOCore
import NIOEmbedded
@testable import SMTP
import Testing
import TestSupport


@Suite struct SMTPMessageIntakeTests {
    @Test("content waiting for a slow disk pauses reading above the high-water mark and resumes once drained")
    func backpressure() throws {
        let loop = EmbeddedEventLoop()
        let runner = HeldWorkRunner()
        let backend = MemoryBackend()
        var limits = SMTPLimits()
        limits.maxBufferedContent = 64 * 1024
        let configuration = SMTPServerConfiguration(hostname: "mail.example.org", tlsMode: .implicit, limits: limits)
        let envelope = SMTPEnvelope(
            queueID: "Q1", sender: "alice@example.org", recipients: [SMTPRecipient(address: "bob@example.org")],
            authenticatedUser: "alice@example.org", clientIP: "127.0.0.1", heloName: "client", receivedAt: Date())
        var backlog: [Bool] = []
        let intake = SMTPMessageIntake(envelope: envelope, configuration: configuration, backend: backend,
                                       blockingWork: runner, eventLoop: loop) { backlog.append($0) }
        let line = ByteBuffer(string: "Subject: x\r\n\r\n" + String(repeating: "y", count: 998) + "\r\n")
        var sent = line.readableBytes
        intake.append(line)
        while sent <= limits.maxBufferedContent + 2_000 {
            let body = ByteBuffer(string: String(repeating: "z", count: 998) + "\r\n")
            sent += body.readableBytes
            intake.append(body)
        }
        #expect(backlog == [true])
        runner.releaseAll(loop)
        #expect(backlog == [true, false])

        var outcome: SMTPMessageOutcome?
        intake.finish { outcome = $0 }
        runner.releaseAll(loop)
        #expect(outcome == .committed)
        let stored = try #require(backend.committed.first?.1)
        #expect(stored.hasSuffix(String(repeating: "z", count: 998) + "\r\n"))
        try loop.syncShutdownGracefully()
    }
}
