import Synchronization

/// The registry's table of open mailboxes by canonical path, with how many users each has, shared with
/// the watcher thread. Also keeps, per path ever opened, the highest modseq handed out, so a mailbox
/// closed and opened again in this process never goes back (its index may not be written yet).
final class OpenMailboxTable: Sendable {
    private struct Entry {
        var mailbox: SharedMailbox
        var users: Int
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        var modSeqFloors: [String: UInt64] = [:]
    }

    private let table = Mutex(Table())

    /// The mailbox for `key` with one more user, made by `make(floor)` when it is not open.
    func retain(_ key: String, make: (_ modSeqFloor: UInt64) -> SharedMailbox) -> SharedMailbox {
        table.withLock { table in
            if let entry = table.entries[key] {
                table.entries[key]?.users += 1
                return entry.mailbox
            }
            let mailbox = make(table.modSeqFloors[key] ?? 0)
            table.entries[key] = Entry(mailbox: mailbox, users: 1)
            return mailbox
        }
    }

    /// One user fewer; true when it was the last (the mailbox is then out of the table).
    func release(_ mailbox: SharedMailbox) -> Bool {
        table.withLock { table in
            guard let entry = table.entries[mailbox.key], entry.mailbox === mailbox else { return false }
            if entry.users > 1 {
                table.entries[mailbox.key]?.users -= 1
                return false
            }
            table.entries[mailbox.key] = nil
            table.modSeqFloors[mailbox.key] = max(table.modSeqFloors[mailbox.key] ?? 0, mailbox.state.highestModSeq)
            return true
        }
    }

    func mailbox(forKey key: String) -> SharedMailbox? {
        table.withLock { $0.entries[key]?.mailbox }
    }

    var all: [SharedMailbox] {
        table.withLock { $0.entries.values.map(\.mailbox) }
    }
}
