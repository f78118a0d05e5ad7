import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TLS

/// What a test client saw: the completed handshake, errors, the lines received, the end.
final class ClientLog: Sendable {
    struct Entries {
        var info: TLSClientSessionInfo?
        var tlsErrors: [TLSError] = []
        var otherErrors: [String] = []
        var lines: [String] = []
        var inactive = false
    }

    private let entries = Mutex(Entries())

    func update(_ change: (inout Entries) -> Void) { entries.withLock { change(&$0) } }
    var current: Entries { entries.withLock { $0 } }

    /// Waits (at most `timeout` seconds) until `check` returns a value.
    /// - Throws: `PeerError` with everything seen so far when it does not happen in time.
    func wait<T>(for what: String, timeout: Double = 10, _ check: (Entries) -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let seen = current
            if let value = check(seen) { return value }
            guard Date() < deadline else { throw PeerError(text: "no \(what) within \(timeout) s; saw \(seen)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The session of a handshake that completed; throws if the connection failed or ended first.
    func handshake() async throws -> TLSClientSessionInfo {
        let outcome: Result<TLSClientSessionInfo, PeerError> = try await wait(for: "handshake") { seen in
            if let info = seen.info { return .success(info) }
            if !seen.tlsErrors.isEmpty || seen.inactive {
                return .failure(PeerError(text: "the connection failed before the handshake completed: \(seen)"))
            }
            return nil
        }
        return try outcome.get()
    }

    /// Waits for the connection to end and returns the first TLS error it reported.
    func failure() async throws -> TLSError {
        try await wait(for: "failure") { seen in seen.inactive ? seen.tlsErrors.first : nil }
    }

    /// Waits for a received line starting with `prefix`.
    func line(startingWith prefix: String) async throws -> String {
        try await wait(for: "line \"\(prefix)…\"") { seen in seen.lines.first { $0.hasPrefix(prefix) } }
    }
}

/// The application end of the test client: records what arrives in `ClientLog`. With `startTLS`,
/// it first speaks the plaintext part of `LineTestHandler`'s protocol ("+OK ready", STARTTLS,
/// "OK") and then inserts the TLS handler at `.first` itself, as Loft's SMTP client will.
final class ClientProbe: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let log: ClientLog
    private let makeTLSHandler: (@Sendable () -> TLSClientHandler)?
    private let linesOnceSecure: [String]
    private var buffer: [UInt8] = []
    private var awaitingGoAhead = false

    /// - Parameters:
    ///   - startTLS: makes the TLS handler to insert after the STARTTLS go-ahead; nil when TLS is
    ///     already in the pipeline (implicit TLS).
    ///   - linesOnceSecure: written when the handshake completes (implicit TLS), or right after
    ///     inserting the TLS handler, before its handshake has completed (STARTTLS).
    init(log: ClientLog, startTLS: (@Sendable () -> TLSClientHandler)? = nil, linesOnceSecure: [String] = []) {
        self.log = log
        self.makeTLSHandler = startTLS
        self.linesOnceSecure = linesOnceSecure
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer += unwrapInboundIn(data).readableBytesView
        while let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var lineBytes = buffer[..<end]
            if lineBytes.last == UInt8(ascii: "\r") { lineBytes = lineBytes.dropLast() }
            let line = String(decoding: lineBytes, as: UTF8.self)
            buffer.removeSubrange(...end)
            log.update { $0.lines.append(line) }
            guard let makeTLSHandler else { continue }
            if line == "+OK ready" && !awaitingGoAhead {
                awaitingGoAhead = true
                send(context, "STARTTLS")
            } else if line == "OK" && awaitingGoAhead {
                awaitingGoAhead = false
                buffer = []  // nothing sent in plaintext after the go-ahead may count
                do {
                    try context.pipeline.syncOperations.addHandler(makeTLSHandler(), position: .first)
                } catch {
                    log.update { $0.otherErrors.append("\(error)") }
                    context.close(promise: nil)
                    return
                }
                for line in linesOnceSecure { send(context, line) }
                return
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSClientHandshakeCompleted {
            log.update { $0.info = completed.info }
            if makeTLSHandler == nil { for line in linesOnceSecure { send(context, line) } }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        log.update { entries in
            if let error = error as? TLSError { entries.tlsErrors.append(error) } else { entries.otherErrors.append("\(error)") }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        log.update { $0.inactive = true }
        context.fireChannelInactive()
    }

    private func send(_ context: ChannelHandlerContext, _ line: String) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
    }
}

/// A NIO client on the shared event loop group: TLSClientHandler in front of a `ClientProbe`.
struct TestClient {
    let channel: any Channel
    let log: ClientLog

    /// Connects to 127.0.0.1:`port`, runs `body`, and closes the connection (also when `body` throws).
    static func with<T>(
        port: Int, context: TLSClientContext, expectation: TLSPeerExpectation, applicationProtocols: [String] = [],
        startTLS: Bool = false, linesOnceSecure: [String] = [], _ body: (TestClient) async throws -> T
    ) async throws -> T {
        let log = ClientLog()
        let makeHandler: @Sendable () -> TLSClientHandler = {
            TLSClientHandler(context: context, expectation: expectation, applicationProtocols: applicationProtocols)
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if startTLS {
                        try pipeline.addHandler(ClientProbe(log: log, startTLS: makeHandler, linesOnceSecure: linesOnceSecure))
                    } else {
                        try pipeline.addHandler(makeHandler())
                        try pipeline.addHandler(ClientProbe(log: log, linesOnceSecure: linesOnceSecure))
                    }
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let client = TestClient(channel: channel, log: log)
        do {
            let result = try await body(client)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Connects, waits for the handshake, and returns what it found.
    static func handshake(port: Int, context: TLSClientContext, expectation: TLSPeerExpectation) async throws
        -> TLSClientSessionInfo {
        try await with(port: port, context: context, expectation: expectation) { client in
            try await client.log.handshake()
        }
    }

    func send(_ line: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: line + "\r\n"))
    }
}
