import NIOCore
import NIOPosix

/// The threads a check runs on: one event loop for the sockets, and a small pool for what blocks
/// (DNS, building TLS contexts from the trust store). `shutdown()` when done.
public final class TLSCheckRuntime: Sendable {
    let group: MultiThreadedEventLoopGroup
    let threadPool: NIOThreadPool

    public init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
    }

    /// Runs blocking `work` on the pool.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(work)
    }

    public func shutdown() {
        try? threadPool.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
    }
}
