import Foundation

/// One lock per Maildir path for this process. Several sessions may open the same Maildir at once, and the
/// dotlock alone cannot serialize them: it is owned by the process, not by a thread.
enum ProcessLockRegistry {
    private static let locks = LockedValue<[String: NSLock]>([:])

    /// The lock for `canonicalPath` (already resolved with `realpath`). Locks are kept for the life of the
    /// process: one small object per Maildir ever opened.
    static func lock(for canonicalPath: String) -> NSLock {
        locks.withLock { table in
            if let existing = table[canonicalPath] { return existing }
            let created = NSLock()
            table[canonicalPath] = created
            return created
        }
    }
}
