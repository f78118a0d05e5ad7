import Synchronization

/// The server-wide cap on connections that compress at once: each costs about 80 KiB of zlib
/// state for as long as it lives (see `DeflateHandler.Settings`), idle or not.
public final class CompressionSlots: Sendable {
    public let limit: Int
    private let taken = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// How many connections compress now.
    public var inUse: Int { taken.load(ordering: .relaxed) }

    /// Takes a slot, or returns false when all `limit` are taken.
    func take() -> Bool {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        taken.subtract(1, ordering: .acquiringAndReleasing)
    }
}
