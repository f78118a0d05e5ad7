import NIOCore
import Synchronization

/// The live client connections of all listeners: a shutdown reaches each one, and the
/// connection limits (total and per client address) are checked here at accept time.
final class ConnectionRegistry: Sendable {
    enum Refusal: Sendable {
        case tooManyConnections
        case tooManyFromAddress
    }

    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Admitted (not refused) connections: what `maxConnections` limits.
        var admitted = 0
        var perAddress: [String: Int] = [:]
    }

    private let maxConnections: Int
    private let maxPerAddress: Int
    private let state = Mutex(State())

    init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    /// Counts `channel` from `address` (the client's, which behind a load balancer is not the
    /// socket's peer) in until it closes, or says which limit it would break. A refused channel is
    /// still tracked until closed, so shutdown reaches it too, but counts for no limit.
    func admit(_ channel: any Channel, address: String) -> Refusal? {
        let id = ObjectIdentifier(channel)
        let refusal: Refusal? = state.withLock { state in
            let refusal: Refusal?
            if state.admitted >= maxConnections {
                refusal = .tooManyConnections
            } else if state.perAddress[address, default: 0] >= maxPerAddress {
                refusal = .tooManyFromAddress
            } else {
                refusal = nil
                state.admitted += 1
                state.perAddress[address, default: 0] += 1
            }
            state.channels[id] = channel
            return refusal
        }
        let counted = refusal == nil
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLock { state in
                state.channels.removeValue(forKey: id)
                guard counted else { return }
                state.admitted -= 1
                state.perAddress[address, default: 1] -= 1
                if state.perAddress[address] == 0 { state.perAddress.removeValue(forKey: address) }
            }
        }
        return refusal
    }

    var all: [any Channel] { state.withLock { Array($0.channels.values) } }
    var count: Int { state.withLock { $0.channels.count } }
}
