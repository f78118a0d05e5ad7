import Foundation
import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
@testable import SMTP
import Testing
import TestSupport

/// Random, partly well-formed input in random pieces: the handler must never trap, every
/// reply must be a well-formed SMTP reply with an enhanced status code, and only complete,
/// accepted messages may be stored.
@Suite struct SMTPRandomInputTests {
    static let pieces: [String] = [
        "EHLO x\r\n", "HELO y\r\n", "AUTH PLAIN \(String.alicePlain)\r\n", "AUTH LOGIN\r\n", "*\r\n",
        "MAIL FROM:<alice@example.org>\r\n", "MAIL FROM:<> SIZE=99999999999999999999\r\n", "MAIL FROM:<a@b> BODY=8BITMIME SMTPUTF8\r\n",
        "RCPT TO:<bob@example.org>\r\n", "RCPT TO:<x@elsewhere.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y\r\n", "RCPT TO:<>\r\n",
        "DATA\r\n", "Subject: hi\r\n\r\nbody\r\n.\r\n", "..dot\r\n", "\n.\n", "\r.\r", ".\r\n",
        "BDAT 5\r\nhello", "BDAT 0 LAST\r\n", "BDAT 3 LAST\r\nabc", "BDAT -1\r\n", "BDAT 99999999999999999999 LAST\r\n",
        "RSET\r\n", "NOOP\r\n", "VRFY bob\r\n", "HELP\r\n", "STARTTLS\r\n", "\r\n", "\n", "\r",
        "MAIL FROM:<\u{00e9}@example.org>\r\n", String(repeating: "A", count: 3000) + "\r\n",
    ]

    static let transaction = "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: t\r\n\r\n.x\r\n.\r\n"

    @Test("random pipelined input never traps and every reply is well-formed", arguments: 0..<40)
    func randomSessions(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        let backend = MemoryBackend()
        let channel = EmbeddedChannel()
        let handler = SMTPServerHandler(
            configuration: SMTPServerConfiguration(hostname: "mx.example.org", tlsMode: .implicit),
            backend: backend, services: ConnectionServices(blockingWork: InlineWorkRunner()), logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        channel.pipeline.fireUserInboundEventTriggered(TLSHandshakeCompleted(info: TLSSessionInfo(version: "TLSv1.3", cipher: "X")))

        // A logged-in session, then whole transactions, single commands and junk bytes.
        var input = Array("EHLO x\r\nAUTH PLAIN \(String.alicePlain)\r\n".utf8)
        for _ in 0..<60 {
            switch random.next() % 6 {
            case 0:
                input += (0..<(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 1, 2:
                input += Array(Self.transaction.utf8)
            default:
                input += Array(Self.pieces[Int(random.next() % UInt64(Self.pieces.count))].utf8)
            }
        }
        var offset = 0
        while offset < input.count, channel.isActive {
            let size = 1 + Int(random.next() % 700)
            let end = min(offset + size, input.count)
            try channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
            channel.embeddedEventLoop.run()
            offset = end
        }

        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        for line in text.split(separator: "\r\n") {
            #expect(line.wholeMatch(of: /[2345]\d\d[ -].*/) != nil, "malformed reply: \(line)")
            if let code = line.prefix(3).first, code == "4" || code == "5" {
                // RFC 2034: error replies carry an enhanced status code.
                #expect(line.dropFirst(4).firstMatch(of: /^[45]\.\d{1,3}\.\d{1,3}/) != nil,
                        "no enhanced status code: \(line)")
            }
        }
        for (_, stored) in backend.committed {
            #expect(stored.hasPrefix("Received: from "), "stored message without trace header")
        }
        #expect(text.contains("250 2.0.0 Ok: queued as") == !backend.committed.isEmpty)
        _ = try? channel.finish()
    }
}

