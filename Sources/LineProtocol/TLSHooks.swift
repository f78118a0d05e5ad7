import NIOCore

/// What a finished TLS handshake tells the protocol above it. The TLS module fires this as a
/// user inbound event once the handshake completes; protocol targets never import `TLS`.
public struct TLSSessionInfo: Sendable, Equatable {
    /// "TLSv1.3", "TLSv1.2", ...
    public var version: String
    /// The negotiated cipher suite, OpenSSL's name ("TLS_AES_256_GCM_SHA384").
    public var cipher: String
    /// The SNI host name the client sent, if any.
    public var serverName: String?
    /// The ALPN protocol both sides agreed on, if any.
    public var applicationProtocol: String?

    public init(version: String, cipher: String, serverName: String? = nil, applicationProtocol: String? = nil) {
        self.version = version
        self.cipher = cipher
        self.serverName = serverName
        self.applicationProtocol = applicationProtocol
    }
}

/// The user inbound event a TLS handler fires when its handshake completes.
public struct TLSHandshakeCompleted: Sendable {
    public var info: TLSSessionInfo
    public init(info: TLSSessionInfo) { self.info = info }
}

/// The STARTTLS hook. `LoftServer` gives each plaintext-first listener one of these; a protocol
/// calls it on the channel's event loop, *after* its "go ahead" reply has been written and
/// flushed and *after* it has thrown away every byte it had buffered. The hook inserts the TLS
/// handler at the front of the pipeline in the same call, so every later socket read goes
/// through TLS (CVE-2011-0411 class: no pipelined plaintext is ever read as a command).
public struct StartTLSUpgrade: Sendable {
    private let install: @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void

    public init(_ install: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void) {
        self.install = install
    }

    public func callAsFunction(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        try install(pipeline)
    }

    /// The whole switch for a line protocol, to call right after writing and flushing the "go
    /// ahead" reply: throws away every byte the client pipelined after the STARTTLS/STLS line
    /// (`input`; the protocol resets its own framer or parser), then puts TLS in front. Returns
    /// how many plaintext bytes were thrown away, for the log.
    public func start(discarding input: inout ByteBuffer, pipeline: ChannelPipeline.SynchronousOperations) throws -> Int {
        let discarded = input.readableBytes
        input.clear()
        try install(pipeline)
        return discarded
    }
}

/// Runs blocking work (file I/O, fsync, crypt) away from event loops and Swift's cooperative
/// pool, completing on the given loop. `LoftServer` backs it with an `NIOThreadPool`.
public protocol BlockingWorkRunner: Sendable {
    func run<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T) -> EventLoopFuture<T>
}
