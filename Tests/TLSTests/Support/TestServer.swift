import NIOCore
import NIOPosix
import TLS

/// A tiny server on 127.0.0.1 (port 0): the TLS handler in front of `LineTestHandler`
/// (implicit TLS), or a plaintext `LineTestHandler` that accepts STARTTLS.
struct TestServer {
    enum Mode { case implicitTLS, startTLS }

    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let log: EventLog
    var port: Int { channel.localAddress!.port! }

    static func start(_ provider: TLSContextProvider, mode: Mode = .implicitTLS) async throws -> TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = EventLog()
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        switch mode {
                        case .implicitTLS:
                            try pipeline.addHandler(TLSServerHandler(context: provider.current))
                            try pipeline.addHandler(LineTestHandler(log: log))
                        case .startTLS:
                            try pipeline.addHandler(LineTestHandler(log: log) {
                                TLSServerHandler(context: provider.current)
                            })
                        }
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            return TestServer(group: group, channel: channel, log: log)
        } catch {
            try await group.shutdownGracefully()
            throw error
        }
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}
