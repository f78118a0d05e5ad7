import Foundation
import IMAP
import LineProtocol
import Logging
import MailStore
import NIOCore
import TestSupport
import NIOEmbedded


/// One user's real Maildir++ tree in a temporary directory, behind the IMAP backend protocol.
final class TemporaryMailBackend: IMAPBackend {
    static let password = "secret"
    let root: String
    let registry: MailboxRegistry
    let limits: MailboxStore.Limits
    /// Extensions withheld from this user, as a passwd-file field would.
    let withheldForUser: Set<String>
    /// The user's quota limits, as the config and passwd-file would give them.
    let quota: QuotaLimits

    /// `registry`: another backend's, for a second user in the same process.
    init(limits: MailboxStore.Limits = MailboxStore.Limits(), withheldForUser: Set<String> = [],
         quota: QuotaLimits = .unlimited, registry: MailboxRegistry? = nil) throws {
        self.registry = registry ?? MailboxRegistry(cacheStamp: IMAPServerInfo.cacheStamp, pollInterval: .seconds(3600))
        self.withheldForUser = withheldForUser
        self.quota = quota
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loft-imap-\(UUID().uuidString)/Maildir").path
        self.limits = limits
        _ = try MailboxStore.open(root: root, limits: limits)
    }

    func authenticate(username: String, password: String, clientIP: String) -> LoginResult {
        username == "alice" && password == Self.password ? .success(login: "alice@example.org") : .failure
    }

    func failureDelay(clientIP: String) -> Duration { .zero }

    func openAccount(login: String) throws -> IMAPAccount {
        IMAPAccount(login: login, folders: try MailboxStore.open(root: root, limits: limits), registry: registry,
                    withheldCapabilities: withheldForUser, quota: quota)
    }

    /// Delivers into INBOX the way an outside program would.
    func deliver(_ text: String) throws {
        _ = try Maildir.open(path: root).deliver(Array(text.utf8))
    }

    /// Every message file of the tree (path below the root), to check that nothing changed.
    func messageFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            let parts = path.split(separator: "/")
            if parts.count >= 2, ["cur", "new"].contains(parts[parts.count - 2]) { files.append(path) }
        }
        return files.sorted()
    }

    func remove() {
        registry.shutdown()
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }
}

/// An IMAP session on an embedded channel: send lines, read what came back.
final class IMAPHarness {
    let channel = EmbeddedChannel()

    init(backend: TemporaryMailBackend, tlsMode: TLSMode = .implicit, limits: IMAPLimits = IMAPLimits(),
         withheld: Set<String> = [], workRunner: any BlockingWorkRunner = InlineWorkRunner(),
         compression: CompressionUpgrade? = nil) throws {
        let handler = IMAPServerHandler(
            configuration: IMAPConfiguration(tlsMode: tlsMode, limits: limits, withheldCapabilities: withheld), backend: backend,
            services: ConnectionServices(blockingWork: workRunner, compression: compression), logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4321)).wait()
    }

    /// Sends raw bytes and returns everything the server wrote in response.
    @discardableResult
    func send(_ text: String) throws -> String {
        channel.embeddedEventLoop.run()  // what other sessions published arrives first, as over time
        try channel.writeInbound(ByteBuffer(string: text))
        return output()
    }

    /// Whatever the server has written since the last call.
    func output() -> String {
        channel.embeddedEventLoop.run()
        var text = ""
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
            text += String(decoding: buffer.readableBytesView, as: UTF8.self)
        }
        return text
    }

    /// A fresh user's Maildir and a logged-in session on it.
    static func loggedIn() throws -> (TemporaryMailBackend, IMAPHarness) {
        let backend = try TemporaryMailBackend()
        let session = try IMAPHarness(backend: backend)
        try session.login()
        return (backend, session)
    }

    func login() throws {
        _ = output()
        let reply = try send("l LOGIN alice \(TemporaryMailBackend.password)\r\n")
        precondition(reply.contains("l OK"), reply)
    }

    func close() {
        _ = try? channel.finish()
    }
}
