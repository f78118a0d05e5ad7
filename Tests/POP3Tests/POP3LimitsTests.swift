import LineProtocol
import Logging
import NIOCore
import NIOEmbedded
import POP3
import Synchronization
import Testing
import TestSupport

/// Admits `capacity` sessions in all; counts releases.
final class CountingAdmission: LoginAdmission {
    let admitted = Mutex(0)
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }
    func admit(user: String, clientIP: String) -> LoginLease? {
        let ok = admitted.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        return ok ? LoginLease { [self] in admitted.withLock { $0 -= 1 } } : nil
    }
}

@Suite struct POP3LimitsTests {
    private func connect(limits: POP3Limits = POP3Limits(), logins: (any LoginAdmission)? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(POP3ServerHandler(
            configuration: .init(tlsMode: .implicit, limits: limits), backend: MemoryPOP3Backend(),
            services: ConnectionServices(blockingWork: InlineWorkRunner(), logins: logins), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
        _ = try output(channel)
        return channel
    }

    private func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test("no login within the login timeout: -ERR and close, however busy the client keeps")
    func loginTimeout() throws {
        var limits = POP3Limits()
        limits.loginTimeout = .seconds(30)
        let channel = try connect(limits: limits)
        for _ in 0..<3 {
            try channel.writeInbound(ByteBuffer(string: "CAPA\r\n"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        }
        #expect(channel.isActive)
        _ = try output(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(try output(channel) == "-ERR Login timed out, closing.\r\n")
        #expect(!channel.isActive)
    }

    @Test("a user over the sessions-per-address limit is refused after the password check; the slot frees on close")
    func sessionLimit() throws {
        let admission = CountingAdmission(capacity: 1)
        let first = try connect(logins: admission)
        try first.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\n"))
        #expect(try output(first) == "+OK\r\n+OK Logged in.\r\n")

        let second = try connect(logins: admission)
        try second.writeInbound(ByteBuffer(string: "USER alice\r\nPASS secret\r\n"))
        #expect(try output(second) == "+OK\r\n-ERR [SYS/TEMP] Too many sessions for this user from your address.\r\n")
        #expect(!second.isActive)

        _ = try first.finish()
        #expect(admission.admitted.withLock { $0 } == 0)
    }
}
