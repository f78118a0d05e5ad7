import POSIXSupport

/// The process-wide table of open mailboxes: one `SharedMailbox` per Maildir path while anyone uses it,
/// plus the watcher thread that keeps them in step with changes other programs make.
public final class MailboxRegistry: Sendable {
    /// The version of what the IMAP layer caches per message; blobs stored under another stamp are dropped.
    public let cacheStamp: String
    private let table = OpenMailboxTable()
    private let watcher: MaildirWatcher

    /// Starts the watcher thread.
    /// - Parameter pollInterval: how often every open mailbox is checked (stat compare) even without
    ///   inotify events; also how often changed indexes and caches are written.
    public init(cacheStamp: String, pollInterval: Duration = .seconds(30)) {
        self.cacheStamp = cacheStamp
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
        guard table.release(mailbox) else { return }
        watcher.unwatch(mailbox)
        mailbox.publisher.removeAllObservers()
        try? mailbox.persistIfChanged()  // rebuildable: a failed write only costs a rescan next time
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
