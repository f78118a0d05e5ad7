import Synchronization

/// The inotify events a mailbox's own writes are about to cause (file names in `new/` or `cur/`), so
/// the watcher can tell them from other programs' changes: ours are already in the index and need no
/// rescan, theirs do. Names never matched (the event was lost or merged) expire after a few seconds.
final class ExpectedEvents: Sendable {
    private struct Entry {
        var count: Int
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private static let lifetime = Duration.seconds(5)

    func expect(_ names: some Sequence<String>) {
        let now = ContinuousClock.now
        entries.withLock { entries in
            if entries.count > 10_000 { entries = entries.filter { $0.value.expires > now } }
            for name in names {
                entries[name, default: Entry(count: 0, expires: now)].count += 1
                entries[name]?.expires = now + Self.lifetime
            }
        }
    }

    /// Whether an event for `name` was expected (and then no longer is).
    func consume(_ name: String) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[name], entry.expires > .now else {
                entries[name] = nil
                return false
            }
            if entry.count > 1 { entries[name]?.count -= 1 } else { entries[name] = nil }
            return true
        }
    }
}
