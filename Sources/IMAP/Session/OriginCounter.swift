import Synchronization

/// Hands out the tokens that mark a session's own changes in a mailbox's change stream.
final class OriginCounter: Sendable {
    private let last = Atomic<UInt64>(0)

    func next() -> UInt64 {
        last.add(1, ordering: .relaxed).newValue
    }
}
