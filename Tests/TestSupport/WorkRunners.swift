import LineProtocol
import NIOCore
import NIOEmbedded

/// Runs blocking work at once on the calling thread and hands back a finished future, so a
/// test on an embedded channel sees every response at once.
public struct InlineWorkRunner: BlockingWorkRunner {
    public init() {}

    public func run<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T)
        -> EventLoopFuture<T> {
        do {
            return eventLoop.makeSucceededFuture(try work())
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }
}

/// Holds blocking work until the test releases it: a disk that is behind, or a command caught
/// in the middle of its response. Used from the test's thread only.
public final class HeldWorkRunner: BlockingWorkRunner, @unchecked Sendable {
    private var held: [() -> Void] = []

    public init() {}

    public func run<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T)
        -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        held.append { promise.completeWith(Result { try work() }) }
        return promise.futureResult
    }

    public var hasPending: Bool { !held.isEmpty }

    /// Runs the oldest held job.
    public func runNext() {
        guard !held.isEmpty else { return }
        held.removeFirst()()
    }

    /// Runs every held job (and those they queue) in order, running `loop` after each.
    public func releaseAll(_ loop: EmbeddedEventLoop) {
        while hasPending {
            runNext()
            loop.run()
        }
    }
}
