import Dispatch
import Foundation
import Synchronization

/// SIGTERM/SIGINT stop the server; SIGHUP reloads. Handlers run on a private dispatch queue,
/// so a reload's file reads never block an event loop or the cooperative pool.
/// `@unchecked`: the dispatch sources are created and resumed in `init` and never touched again.
final class SignalWatcher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "loft.signals")
    /// Kept alive for the process's lifetime; a released source stops delivering.
    private let sources: [any DispatchSourceSignal]
    private let stopped = DispatchSemaphore(value: 0)
    private let stopSignal = Mutex<Int32>(0)
    /// The reload to run on SIGHUP, and whether a SIGHUP came before there was one: the listeners
    /// log "listening" before `onReload` is called, and a reload asked for then must not be lost.
    private let reload = Mutex<(action: (@Sendable () -> Void)?, pending: Bool)>((nil, false))

    init() {
        let queue = self.queue
        sources = [SIGTERM, SIGINT, SIGHUP].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        }
        for (source, signalNumber) in zip(sources, [SIGTERM, SIGINT, SIGHUP]) {
            source.setEventHandler { [weak self] in self?.received(signalNumber) }
            source.resume()
        }
    }

    func onReload(_ action: @escaping @Sendable () -> Void) {
        let missed = reload.withLock { reload in
            defer { reload = (action, false) }
            return reload.pending
        }
        if missed { queue.async(execute: action) }
    }

    /// Blocks until SIGTERM or SIGINT arrives; returns which.
    func waitForStop() -> Int32 {
        stopped.wait()
        return stopSignal.withLock { $0 }
    }

    private func received(_ signalNumber: Int32) {
        if signalNumber == SIGHUP {
            let action = reload.withLock { reload in
                if reload.action == nil { reload.pending = true }
                return reload.action
            }
            action?()
        } else {
            stopSignal.withLock { $0 = signalNumber }
            stopped.signal()
        }
    }
}
