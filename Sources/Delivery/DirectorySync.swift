import POSIXSupport

/// Group commit of directory fsyncs (issue 11): concurrent transactions that need the same directory made
/// durable share one `fsync` of it instead of each doing its own.
///
/// A caller has just created or renamed an entry in a directory and needs an fsync that *starts after* that.
/// Per directory, syncs run one at a time and are numbered: a caller asking while sync n is running needs
/// n + 1; when n is over, the first of the waiters to run starts n + 1 for all of them, the others wait for
/// it, and each gets its outcome. So 16 transactions to one Maildir cost a few fsyncs of its `new/`, not 16,
/// and a failed fsync fails every transaction that waited for it. Different directories sync in parallel.
///
/// Why per directory and not one round for all files and directories (tried first, see the issue 11
/// figures): one leader syncing a whole round serialized what the kernel already overlaps. ext4's journal
/// (jbd2) commits concurrent `fsync`s from several threads together, and under CPU contention a round
/// stalled whenever its leader was preempted; throughput fell to half. So message files are `fdatasync`ed
/// by their own transaction, concurrently, and only the duplicate work, the same directory again, is shared.
///
/// Why the syncing thread is one of the waiters and not a job of its own: commits run on the disk
/// `NIOThreadPool`; with every pool thread waiting, a separate job queued behind them would never run.
/// A waiter that sees its sync not yet started and none running starts it, so waiting threads always make
/// progress, whatever the pool size.
///
/// Blocks: call only from a thread pool made for blocking work.
final class DirectorySync: Sendable {
    private struct Directory: Sendable {
        /// Number of the latest sync started; 0 before the first.
        var started = 0
        var running = false
        /// Number and outcome of the latest sync finished.
        var finished = 0
        var outcome: Result<Void, any Error> = .success(())
        /// Callers waiting for a sync of this directory (tests line up a shared sync with it).
        var waiting = 0
    }

    /// One entry per directory ever synced (the Maildirs' `new/` and the queue's directories).
    private let directories = WaitableLock<[String: Directory]>([:])
    private let faultHook: CommitFaultHook?

    /// - Parameter faultHook: called after each fsync by the thread that did it (tests inject failures
    ///   there; a throw counts as that fsync failing for every caller sharing it).
    init(faultHook: CommitFaultHook? = nil) {
        self.faultHook = faultHook
    }

    /// Makes the entries of each of `paths` durable with an fsync that starts after this call, shared with
    /// concurrent callers; returns once all are done.
    /// - Throws: the first failure (`DeliveryError.system` naming the directory, or what the hook threw).
    func sync(_ paths: [String]) throws {
        for path in paths { try sync(path) }
    }

    private func sync(_ path: String) throws {
        let needed = directories.withLock { directories in
            directories[path, default: Directory()].waiting += 1
            // A sync already running may have read the directory before our entry: only the next one counts.
            return directories[path, default: Directory()].started + 1
        }
        let startNow = try directories.withLock(whenReady: { directories in
            guard let directory = directories[path] else { return true }
            return directory.finished >= needed || !directory.running
        }) { directories -> Bool in
            guard var directory = directories[path] else { return false }
            defer { directories[path] = directory }
            if directory.finished >= needed {
                // Sync `needed` or a later one, each started after our entry, is over: its outcome is ours.
                directory.waiting -= 1
                try directory.outcome.get()
                return false
            }
            // None running and ours not finished, so not started either: this thread runs it for everyone.
            directory.waiting -= 1
            directory.started = needed
            directory.running = true
            return true
        }
        guard startNow else { return }
        let outcome = Result {
            try FileSystem.fsyncDirectory(path)
            try faultHook?(.directorySynced(path: path))
        }
        directories.withLock { directories in
            directories[path]?.running = false
            directories[path]?.finished = needed
            directories[path]?.outcome = outcome
        }
        directories.wakeAll()
        try outcome.get()
    }

    /// How many callers wait for a sync of `path` right now (tests).
    func waitingCount(for path: String) -> Int {
        directories.withLock { $0[path]?.waiting ?? 0 }
    }

    /// How many fsyncs of `path` were started so far (tests and benchmarks compare it with the callers).
    func syncCount(for path: String) -> Int {
        directories.withLock { $0[path]?.started ?? 0 }
    }
}
