import Foundation
import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
@testable import SMTP
import Testing
import TestSupport

@Suite struct SMTPServerHandlerTests {
    /// A connected channel with the handler; the greeting has been read.
    private func connect(
        _ mode: SMTPSession.TLSMode = .implicit, backend: MemoryBackend = MemoryBackend(),
        limits: SMTPLimits = SMTPLimits(), startTLS: StartTLSUpgrade? = nil
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handler = SMTPServerHandler(
            configuration: SMTPServerConfiguration(hostname: "mx.example.org", tlsMode: mode, limits: limits),
            backend: backend, services: ConnectionServices(blockingWork: InlineWorkRunner(), startTLS: startTLS),
            logger: Logger(label: "test")
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        if mode == .implicit {
            channel.pipeline.fireUserInboundEventTriggered(TLSHandshakeCompleted(info: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")))
        }
        #expect(try replies(channel) == ["220 mx.example.org ESMTP Loft"])
        return channel
    }

    /// Every reply line written so far.
    private func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) throws -> [String] {
        try channel.writeInbound(ByteBuffer(string: text))
        channel.embeddedEventLoop.run()
        return try replies(channel)
    }

    private func send(_ channel: EmbeddedChannel, bytes: [UInt8]) throws -> [String] {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.embeddedEventLoop.run()
        return try replies(channel)
    }

    private let login = "EHLO client.example\r\nAUTH PLAIN \(String.alicePlain)\r\n"

    @Test("a pipelined transaction gets its replies in order and the message is stored with Received, Message-ID and Date")
    func pipelinedTransaction() throws {
        let backend = MemoryBackend()
        let channel = try connect(backend: backend)
        let out = try send(channel, login + "MAIL FROM:<alice@example.org> SIZE=100\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.net> NOTIFY=FAILURE\r\nDATA\r\n")
        #expect(out.first == "250-mx.example.org Hello client.example")
        #expect(out.contains("250-SIZE 52428800"))
        #expect(out.contains("250-CHUNKING"))
        #expect(!out.contains("250-STARTTLS"))
        #expect(out.contains("250 AUTH PLAIN LOGIN"))
        #expect(Array(out.suffix(5)) == [
            "235 2.7.0 Authentication successful", "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
            "354 End data with <CR><LF>.<CR><LF>",
        ])
        let done = try send(channel, "Subject: hello\r\n\r\n..dotted\r\nbody\r\n.\r\nQUIT\r\n")
        #expect(done.count == 2)
        #expect(done[0].hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(done[1] == "221 2.0.0 Bye")

        let stored = try #require(backend.committed.first)
        #expect(backend.committed.count == 1)
        #expect(done[0].hasSuffix(stored.0.queueID))
        #expect(stored.0.sender == "alice@example.org")
        #expect(stored.0.recipients == [SMTPRecipient(address: "bob@example.org"), SMTPRecipient(address: "carol@example.net", notify: ["FAILURE"])])
        #expect(stored.0.authenticatedUser == "alice@example.org")
        #expect(stored.0.declaredSize == 100)
        #expect(stored.0.clientIP == "192.0.2.7")
        let lines = stored.1.components(separatedBy: "\r\n")
        #expect(lines[0] == "Received: from client.example (192.0.2.7)")
        #expect(lines[1] == "\tby mx.example.org (Loft) with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384)")
        #expect(lines[2].hasPrefix("\tid \(stored.0.queueID); "))
        #expect(lines[3].hasPrefix("Message-ID: <") && lines[3].hasSuffix("@mx.example.org>"))
        #expect(lines[4].hasPrefix("Date: "))
        #expect(lines[5...].joined(separator: "\r\n") == "Subject: hello\r\n\r\n.dotted\r\nbody\r\n")
    }

    @Test("Message-ID and Date of the client are kept")
    func headersKept() throws {
        let backend = MemoryBackend()
        let channel = try connect(backend: backend)
        _ = try send(channel, login + "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        let original = "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-Id: <own@client>\r\nSubject: x\r\n\r\nhi\r\n"
        _ = try send(channel, original + ".\r\n")
        let stored = try #require(backend.committed.first).1
        #expect(stored.hasSuffix("\r\n" + original))
        #expect(stored.components(separatedBy: "\r\n").count == 3 + original.components(separatedBy: "\r\n").count)
    }

    @Test("SMTP smuggling: a bare-LF end marker never ends the data or starts a second message")
    func smuggling() throws {
        let backend = MemoryBackend()
        let channel = try connect(backend: backend)
        _ = try send(channel, login + "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        let probe = "Subject: one\r\n\r\nhi\n.\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: two\r\n\r\nsmuggled\r\n"
        #expect(try send(channel, probe) == [])
        #expect(try send(channel, ".\r\n") == ["550 5.6.11 bare LF/CR not allowed"])
        #expect(backend.committed.isEmpty)
        #expect(backend.aborted == 1)
        // The session is usable afterwards.
        #expect(try send(channel, "NOOP\r\n") == ["250 2.0.0 Ok"])
    }

    @Test("STARTTLS: pipelined plaintext after it is discarded and EHLO state is forgotten")
    func startTLSDiscardsPipelinedInput() throws {
        final class Marker: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
        }
        let installed = NIOLockedBox()
        let hook = StartTLSUpgrade { pipeline in
            try pipeline.addHandler(Marker(), position: .first)
            installed.set()
        }
        let channel = try connect(.startTLS, startTLS: hook)
        let ehlo = try send(channel, "EHLO client.example\r\n")
        #expect(ehlo.contains { $0.hasSuffix("STARTTLS") })
        #expect(!ehlo.contains { $0.contains("AUTH") })
        #expect(try send(channel, "AUTH PLAIN \(String.alicePlain)\r\n") == ["538 5.7.11 Encryption required for requested authentication mechanism"])
        #expect(try send(channel, "STARTTLS\r\nMAIL FROM:<alice@example.org>\r\n") == ["220 2.0.0 Ready to start TLS"])
        #expect(installed.isSet)
        _ = try channel.pipeline.syncOperations.handler(type: Marker.self)
        channel.pipeline.fireUserInboundEventTriggered(TLSHandshakeCompleted(info: TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256")))
        #expect(try send(channel, "AUTH PLAIN \(String.alicePlain)\r\n") == ["503 5.5.1 Send EHLO first"])
        let again = try send(channel, "EHLO client.example\r\n")
        #expect(!again.contains { $0.hasSuffix("STARTTLS") })
        #expect(again.last == "250 AUTH PLAIN LOGIN")
        #expect(try send(channel, "STARTTLS\r\n") == ["503 5.5.1 TLS already active"])
    }

    @Test("BDAT carries binary octets as is, across chunks, and the last 250 comes after commit")
    func bdatBinary() throws {
        let backend = MemoryBackend()
        let channel = try connect(backend: backend)
        _ = try send(channel, login + "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\nRCPT TO:<bob@example.org>\r\n")
        let header = Array("Subject: bin\r\n\r\n".utf8)
        let binary: [UInt8] = (0...255).map(UInt8.init).filter { $0 != 10 && $0 != 13 } + Array("\r\n.\r\nMAIL FROM:<x@y.z>\r\n".utf8)
        let first = Array("BDAT \(header.count)\r\n".utf8) + header
        #expect(try send(channel, bytes: first) == ["250 2.0.0 \(header.count) octets received"])
        // The chunk arrives in two pieces, the next command in the same write as its end.
        let second = Array("BDAT \(binary.count) LAST\r\n".utf8) + binary
        #expect(try send(channel, bytes: Array(second.prefix(40))) == [])
        let out = try send(channel, bytes: Array(second.dropFirst(40)) + Array("NOOP\r\n".utf8))
        #expect(out.count == 2)
        #expect(out[0].hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(out[1] == "250 2.0.0 Ok")
        let stored = try #require(backend.record { $0.committed.first })
        #expect(Array(stored.1.suffix(header.count + binary.count)) == header + binary)
        #expect(stored.0.body == .eightBitMIME)
    }

    @Test("BDAT rules: BDAT 0 LAST, BDAT without a transaction is read and discarded, no DATA after BDAT")
    func bdatRules() throws {
        let backend = MemoryBackend()
        let channel = try connect(backend: backend)
        _ = try send(channel, login)
        #expect(try send(channel, "BDAT 6\r\nNOOP\r\nNOOP\r\n") == ["503 5.5.1 Need MAIL command", "250 2.0.0 Ok"])
        _ = try send(channel, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n")
        #expect(try send(channel, "BDAT 4\r\nab\r\n") == ["250 2.0.0 4 octets received"])
        #expect(try send(channel, "DATA\r\n") == ["503 5.5.1 DATA cannot follow BDAT"])
        #expect(try send(channel, "BDAT 0 LAST\r\n").first?.hasPrefix("250 2.0.0 Ok: queued as ") == true)
        #expect(backend.committed.count == 1)
        // RSET in the middle of a BDAT transfer: nothing is stored.
        _ = try send(channel, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nBDAT 4\r\nab\r\n")
        #expect(try send(channel, "RSET\r\n") == ["250 2.0.0 Ok"])
        #expect(backend.committed.count == 1)
        #expect(backend.aborted == 1)
    }

    @Test("a message over the size limit is read to its end, never stored, and refused with 552")
    func sizeLimit() throws {
        let backend = MemoryBackend()
        var limits = SMTPLimits()
        limits.maxMessageSize = 100
        let channel = try connect(backend: backend, limits: limits)
        _ = try send(channel, login)
        #expect(try send(channel, "MAIL FROM:<alice@example.org> SIZE=101\r\n") == ["552 5.3.4 Message size exceeds fixed limit of 100 octets"])
        _ = try send(channel, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        for _ in 0..<10 { #expect(try send(channel, String(repeating: "x", count: 50) + "\r\n") == []) }
        #expect(try send(channel, ".\r\n") == ["552 5.3.4 Message size exceeds fixed limit of 100 octets"])
        #expect(backend.committed.isEmpty)
        #expect(backend.aborted == 1)
    }

    @Test("a storage failure answers 451 4.3.0 and aborts the writer")
    func storageFailure() throws {
        let backend = MemoryBackend()
        backend.failWrites = true
        let channel = try connect(backend: backend)
        _ = try send(channel, login + "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        #expect(try send(channel, "Subject: x\r\n\r\nhi\r\n.\r\n") == ["451 4.3.0 Error: message could not be stored, try again later"])
        #expect(backend.committed.isEmpty)
        #expect(backend.aborted == 1)
    }

    @Test("a sender check that is unavailable or throws answers 451 4.3.0 (temporary), a refusal 553; the session goes on")
    func senderCheckFailures() throws {
        let channel = try connect()
        _ = try send(channel, login)
        #expect(try send(channel, "MAIL FROM:<busy@example.org>\r\n")
            == ["451 4.3.0 Sender address <busy@example.org> cannot be checked now: aliases cannot be read"])
        #expect(try send(channel, "MAIL FROM:<broken@example.org>\r\n")
            == ["451 4.3.0 Sender address <broken@example.org> cannot be checked now: temporary server error"])
        #expect(try send(channel, "MAIL FROM:<eve@example.org>\r\n").first?.hasPrefix("553 5.7.1") == true)
        #expect(try send(channel, "MAIL FROM:<alice@example.org>\r\n") == ["250 2.1.0 Ok"])
    }

    @Test("shutdown answers 421 4.3.2 and closes")
    func shutdown() throws {
        let channel = try connect()
        channel.pipeline.fireUserInboundEventTriggered(ServerShuttingDown())
        #expect(try replies(channel) == ["421 4.3.2 Server shutting down"])
        #expect(!channel.isActive)
    }

    @Test("an overlong command line gets 500 5.5.2 and the session goes on")
    func overlongLine() throws {
        let channel = try connect()
        #expect(try send(channel, "NOOP " + String(repeating: "x", count: 3000) + "\r\nNOOP\r\n") == ["500 5.5.2 Line too long (limit 2048 octets)", "250 2.0.0 Ok"])
    }
}

/// A flag set from the STARTTLS hook (a `@Sendable` closure).
final class NIOLockedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
