import Synchronization

/// The registry's table of open mailboxes by canonical path, with how many users each has, shared with
/// the watcher thread. Also keeps, per path ever opened, the highest modseq handed out, so a mailbox
/// closed and opened again in this process never goes back (its index may not be written yet).
final class OpenMailboxTable: Sendable {
    private struct Entry {
        var mailbox: SharedMailbox
        var users: Int
        /// When the last user left, for a mailbox kept open for `linger`.
        var idleSince: ContinuousClock.Instant?
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        var modSeqFloors: [String: UInt64] = [:]
    }

    private let table = Mutex(Table())
    /// How long a mailbox stays open after its last user left (still watched, index in memory), so
    /// the next session opening it (a client reconnecting, a second connection) finds it loaded.
    let linger: Duration

    init(linger: Duration) {
        self.linger = linger
    }

    /// The mailbox for `key` with one more user, made by `make(floor)` when it is not open.
    func retain(_ key: String, make: (_ modSeqFloor: UInt64) -> SharedMailbox) -> SharedMailbox {
        table.withLock { table in
            if let entry = table.entries[key] {
                table.entries[key]?.users += 1
                table.entries[key]?.idleSince = nil
                return entry.mailbox
            }
            let mailbox = make(table.modSeqFloors[key] ?? 0)
            table.entries[key] = Entry(mailbox: mailbox, users: 1)
            return mailbox
        }
    }

    /// One user fewer; true when it was the last and the mailbox is out of the table now (without
    /// `linger`); with `linger` it stays until `takeIdle` finds it idle long enough.
    func release(_ mailbox: SharedMailbox) -> Bool {
        table.withLock { table in
            guard let entry = table.entries[mailbox.key], entry.mailbox === mailbox, entry.users > 0 else { return false }
            if entry.users > 1 {
                table.entries[mailbox.key]?.users -= 1
                return false
            }
            if linger > .zero {
                table.entries[mailbox.key]?.users = 0
                table.entries[mailbox.key]?.idleSince = .now
                return false
            }
            Self.remove(mailbox, from: &table)
            return true
        }
    }

    /// Takes out the mailboxes nobody used for `linger`, or those without users whose path is
    /// `path` or below it (a folder deleted or renamed).
    func takeIdle(now: ContinuousClock.Instant = .now, under path: String? = nil) -> [SharedMailbox] {
        table.withLock { table in
            let idle = table.entries.values.filter { entry in
                guard entry.users == 0, let since = entry.idleSince else { return false }
                if let path { return entry.mailbox.key == path || entry.mailbox.key.hasPrefix(path + ".") }
                return since + linger <= now
            }.map(\.mailbox)
            for mailbox in idle { Self.remove(mailbox, from: &table) }
            return idle
        }
    }

    private static func remove(_ mailbox: SharedMailbox, from table: inout Table) {
        table.entries[mailbox.key] = nil
        table.modSeqFloors[mailbox.key] = max(table.modSeqFloors[mailbox.key] ?? 0, mailbox.state.highestModSeq)
    }

    func mailbox(forKey key: String) -> SharedMailbox? {
        table.withLock { $0.entries[key]?.mailbox }
    }

    var all: [SharedMailbox] {
        table.withLock { $0.entries.values.map(\.mailbox) }
    }
}
