import Glibc
import Synchronization

/// A spool entry held by `Spool.lock(id:wait:)`: nobody else changes it until `release()` (or deinit).
public final class SpoolEntryLock: Sendable {
    /// The entry as read once the lock was taken.
    public let entry: SpoolEntry
    private let descriptor: Mutex<Int32>

    init(entry: SpoolEntry, descriptor: Int32) {
        self.entry = entry
        self.descriptor = Mutex(descriptor)
    }

    /// Releases the lock (closing the descriptor drops the flock). Calling it again does nothing.
    public func release() {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
