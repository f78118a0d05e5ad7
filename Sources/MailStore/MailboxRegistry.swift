import POSIXSupport

/// The process-wide table of open mailboxes: one `SharedMailbox` per Maildir path while anyone uses it,
/// plus the watcher thread that keeps them in step with changes other programs make.
public final class MailboxRegistry: Sendable {
    /// The version of what the IMAP layer caches per message; blobs stored under another stamp are dropped.
    public let cacheStamp: String
    /// Changes to users' folder trees, subscriptions and METADATA, for IMAP NOTIFY (RFC 5465).
    public let treeEvents = MailboxTreeEvents()
    private let table: OpenMailboxTable
    private let watcher: MaildirWatcher

    /// Starts the watcher thread.
    /// - Parameters:
    ///   - pollInterval: how often every open mailbox is checked (stat compare) even without
    ///     inotify events; also how often changed indexes and caches are written.
    ///   - linger: how long a mailbox stays open after its last user released it, so the next
    ///     session (a reconnecting client) needs no index load or rescan; it closes at the first
    ///     poll after that. Zero closes at once.
    public init(cacheStamp: String, pollInterval: Duration = .seconds(30), linger: Duration = .zero) {
        self.cacheStamp = cacheStamp
        table = OpenMailboxTable(linger: linger)
        watcher = MaildirWatcher(table: table, pollInterval: pollInterval)
        watcher.start()
    }

    deinit {
        watcher.stop()
    }

    /// Blocking on first open (loads or rebuilds the index). Every `open` needs one `release`.
    /// - Throws: `MailStoreError.notAMaildir` when `path` is not a Maildir (it is not created), or what
    ///   loading the index throws.
    public func open(path: String) throws -> SharedMailbox {
        let maildir = try Maildir.open(path: path, create: false)
        let key = POSIX.realPath(maildir.path)
        let cacheStamp = self.cacheStamp
        let mailbox = table.retain(key) { floor in
            SharedMailbox(maildir: maildir, key: key, cacheStamp: cacheStamp, modSeqFloor: floor)
        }
        do {
            try mailbox.loadIfNeeded { watcher.watch(mailbox) }
        } catch {
            release(mailbox)
            throw error
        }
        return mailbox
    }

    /// One user fewer. Blocking when it was the last: the mailbox stops being watched, its observers
    /// are dropped, and its index and cache are written if they changed.
    public func release(_ mailbox: SharedMailbox) {
        if table.release(mailbox) {
            watcher.retire(mailbox)
        } else if (try? POSIX.fileStatus(mailbox.path + "/cur")) == nil {
            forget(path: mailbox.key)  // its folder went away: nothing to keep open for
        }
    }

    /// Blocking. Closes the mailboxes at `path` and below that nobody uses (kept open by `linger`):
    /// call it after a folder was deleted or renamed, so a new folder of that name is read afresh.
    public func forget(path: String) {
        // The folder may be gone already: resolve its parent, which is not.
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let key = POSIX.realPath(String(path[..<slash])) + path[slash...]
        for mailbox in table.takeIdle(under: key) { watcher.retire(mailbox) }
    }

    /// Non-blocking hint from delivery or POP3: the Maildir at `path` changed; refresh it soon if open.
    public func changed(path: String) {
        watcher.hint(path)
    }

    /// Stops the watcher thread and writes every open mailbox's index and cache (tests, shutdown).
    public func shutdown() {
        watcher.stop()
        for mailbox in table.all { try? mailbox.persistIfChanged() }
    }
}
