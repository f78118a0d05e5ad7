import Dispatch
import Foundation
import Synchronization

/// SIGTERM/SIGINT stop the server; SIGHUP reloads. Handlers run on a private dispatch queue,
/// so a reload's file reads never block an event loop or the cooperative pool.
final class SignalWatcher: Sendable {
    private let queue = DispatchQueue(label: "loft.signals")
    private let sources: Mutex<[any DispatchSourceSignal]> = Mutex([])
    private let stops: AsyncStream<Int32>
    private let stopContinuation: AsyncStream<Int32>.Continuation
    private let reloadAction = Mutex<(@Sendable () -> Void)?>(nil)

    init() {
        (stops, stopContinuation) = AsyncStream<Int32>.makeStream()
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [weak self] in self?.received(signalNumber) }
            source.resume()
            sources.withLock { $0.append(source) }
        }
    }

    func onReload(_ action: @escaping @Sendable () -> Void) {
        reloadAction.withLock { $0 = action }
    }

    func nextStop() async -> Int32 {
        for await signal in stops { return signal }
        return SIGTERM
    }

    private func received(_ signalNumber: Int32) {
        if signalNumber == SIGHUP {
            reloadAction.withLock { $0 }?()
        } else {
            stopContinuation.yield(signalNumber)
        }
    }
}
