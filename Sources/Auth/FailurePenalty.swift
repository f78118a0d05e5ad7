import Synchronization

/// Slows down password guessing per client IP address.
///
/// After a failed login, the next attempt from that IP waits: `initialDelay` after the first
/// failure, doubling with each further failure up to `maximumDelay` (2, 4, 8, 15, 15 s by
/// default). The wait counts from the last failure, so a client that already waited long
/// enough is not delayed again. A success resets the IP. An IP with no failure for `expiry`
/// (default 4 × `maximumDelay`) is forgotten, and the table holds at most `maximumEntries`
/// IPs (the one whose last failure is oldest is dropped first), so memory stays bounded.
///
/// It only computes delays; the caller schedules the wait (e.g. on its event loop) without
/// blocking anyone else. Thread-safe.
public final class FailurePenalty: Sendable {
    /// Delay after the first failure.
    public let initialDelay: Duration
    /// Cap of the doubling delay.
    public let maximumDelay: Duration
    /// An IP is forgotten this long after its last failure.
    public let expiry: Duration
    /// Most IPs remembered at once.
    public let maximumEntries: Int

    private struct Entry {
        var failures: Int
        var lastFailure: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// IPs in order of their failures (oldest first); an item is stale when the IP failed
        /// again later or was reset. Lets eviction and expiry run in amortised O(1).
        var order: [(ip: String, at: ContinuousClock.Instant)] = []
        var head = 0
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - initialDelay: delay after the first failure (default 2 s).
    ///   - maximumDelay: cap for the doubling delay (default 15 s).
    ///   - expiry: forget an IP this long after its last failure (default 4 × `maximumDelay`).
    ///   - maximumEntries: most IPs remembered at once (default 100 000; at least 1).
    public init(
        initialDelay: Duration = .seconds(2), maximumDelay: Duration = .seconds(15),
        expiry: Duration? = nil, maximumEntries: Int = 100_000
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = max(maximumDelay, initialDelay)
        self.expiry = expiry ?? self.maximumDelay * 4
        self.maximumEntries = max(1, maximumEntries)
    }

    /// How long the caller must wait, from `now`, before processing the next authentication
    /// attempt from `ip`; `.zero` when there is no penalty.
    public func delay(for ip: String, now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { state in
            guard let entry = state.entries[ip] else { return .zero }
            let elapsed = entry.lastFailure.duration(to: now)
            if elapsed >= expiry {
                state.entries[ip] = nil
                return .zero
            }
            return max(.zero, penalty(afterFailures: entry.failures) - elapsed)
        }
    }

    /// Number of IPs currently remembered (for diagnostics and tests).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Records a failed authentication from `ip` at `now`.
    public func recordFailure(ip: String, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            dropExpired(&state, now: now)
            var entry = state.entries[ip] ?? Entry(failures: 0, lastFailure: now)
            if entry.lastFailure.duration(to: now) >= expiry { entry.failures = 0 }
            entry.failures += 1
            entry.lastFailure = now
            if state.entries[ip] == nil {
                while state.entries.count >= maximumEntries, popOldest(&state) {}
            }
            state.entries[ip] = entry
            state.order.append((ip, now))
            compact(&state)
        }
    }

    /// Records a successful authentication from `ip`: its penalty is cleared.
    public func recordSuccess(ip: String) {
        _ = state.withLock { $0.entries.removeValue(forKey: ip) }
    }

    /// `initialDelay × 2^(failures − 1)`, capped at `maximumDelay`.
    private func penalty(afterFailures failures: Int) -> Duration {
        var delay = initialDelay
        var step = 1
        while step < failures, delay < maximumDelay {
            delay *= 2
            step += 1
        }
        return min(delay, maximumDelay)
    }

    /// Removes IPs whose last failure is older than `expiry`, oldest first.
    private func dropExpired(_ state: inout State, now: ContinuousClock.Instant) {
        while state.head < state.order.count, state.order[state.head].at.duration(to: now) >= expiry {
            _ = popOldest(&state)
        }
    }

    /// Removes the oldest order item, and its IP if the item is current. Returns false when empty.
    private func popOldest(_ state: inout State) -> Bool {
        guard state.head < state.order.count else { return false }
        let item = state.order[state.head]
        state.head += 1
        if let entry = state.entries[item.ip], entry.lastFailure == item.at {
            state.entries[item.ip] = nil
        }
        return true
    }

    /// Drops consumed order items once they make up half the array.
    private func compact(_ state: inout State) {
        if state.head > 64, state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
        // Stale items (IP failed again, or reset) also accumulate; rebuild when they dominate.
        if state.order.count - state.head > 2 * state.entries.count + 64 {
            state.order = state.order[state.head...].filter { state.entries[$0.ip]?.lastFailure == $0.at }
            state.head = 0
        }
    }
}
