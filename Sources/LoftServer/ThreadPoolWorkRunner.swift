import LineProtocol
import NIOCore
import NIOPosix

/// Blocking work (crypt, Maildir I/O, fsync) on an `NIOThreadPool`, never on an event loop.
struct ThreadPoolWorkRunner: BlockingWorkRunner {
    let pool: NIOThreadPool

    func run<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: eventLoop, work)
    }
}
