import Foundation
import Glibc
import Synchronization

/// The registry's watcher: one inotify instance watching `new/` and `cur/` of every open mailbox, read by
/// a dedicated thread (blocking in `poll`, never an event loop or Swift concurrency). It refreshes a
/// mailbox ~20 ms after another program changed it (so a burst of events costs one refresh), when
/// `changed(path:)` hints at it, and every open mailbox every poll interval (the fallback for file systems
/// without inotify, such as NFS, and for watches that could not be added).
final class MaildirWatcher: Sendable {
    private struct Pending {
        var watches: [Int32: SharedMailbox] = [:]
        var hints: [String] = []
        /// `realpath` of each hinted path, resolved once: a delivery hints at its Maildir, and
        /// resolving it again would cost a failing `readlink` per path component every time.
        var canonicalPaths: [String: String] = [:]
        /// Mailboxes to refresh at `deadline`, by canonical path.
        var due: [String: SharedMailbox] = [:]
        var deadline: ContinuousClock.Instant?
        var stopped = false
    }

    static let coalescing = Duration.milliseconds(20)

    private let inotify: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let pollInterval: Duration
    private let table: OpenMailboxTable
    private let pending = Mutex(Pending())
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    init(table: OpenMailboxTable, pollInterval: Duration) {
        self.table = table
        self.pollInterval = pollInterval
        inotify = inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))  // -1: polling only
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        } else {
            fds = [-1, -1]
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        if inotify >= 0 { close(inotify) }
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    func start() {
        guard !started.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "loft-maildir-watcher"
        thread.start()
    }

    /// Stops the thread and waits for it to end.
    func stop() {
        let wasRunning = pending.withLock { pending in
            defer { pending.stopped = true }
            return !pending.stopped
        }
        guard wasRunning, started.load(ordering: .sequentiallyConsistent) else { return }
        wake()
        finished.wait()
    }

    /// Watches `new/` and `cur/` of `mailbox`; false when inotify is unavailable or a watch failed.
    func watch(_ mailbox: SharedMailbox) -> Bool {
        guard inotify >= 0 else { return false }
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)
        var added: [Int32] = []
        for directory in ["new", "cur"] {
            let wd = inotify_add_watch(inotify, mailbox.path + "/" + directory, mask)
            if wd >= 0 { added.append(wd) }
        }
        pending.withLock { pending in
            for wd in added { pending.watches[wd] = mailbox }
        }
        return added.count == 2
    }

    func unwatch(_ mailbox: SharedMailbox) {
        let removed = pending.withLock { pending -> [Int32] in
            let wds = pending.watches.filter { $0.value === mailbox }.map(\.key)
            for wd in wds { pending.watches[wd] = nil }
            pending.due[mailbox.key] = nil
            return wds
        }
        for wd in removed { inotify_rm_watch(inotify, wd) }
    }

    /// A mailbox leaves the table: no longer watched, observers dropped, index and cache written
    /// if they changed (rebuildable: a failed write only costs a rescan next time). Blocking.
    func retire(_ mailbox: SharedMailbox) {
        unwatch(mailbox)
        mailbox.publisher.removeAllObservers()
        try? mailbox.persistIfChanged()
    }

    /// `MailboxRegistry.changed(path:)`: resolved and refreshed on the watcher thread.
    func hint(_ path: String) {
        pending.withLock { $0.hints.append(path) }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    private func run() {
        var nextPoll = ContinuousClock.now + pollInterval
        while true {
            let deadline = pending.withLock { $0.stopped ? nil : Optional(min($0.deadline ?? nextPoll, nextPoll)) }
            guard let deadline else { return }
            waitForEvents(until: deadline)
            drainWakePipe()
            readEvents()
            resolveHints()
            let now = ContinuousClock.now
            let due = pending.withLock { pending -> [SharedMailbox] in
                guard let deadline = pending.deadline, deadline <= now else { return [] }
                defer {
                    pending.due = [:]
                    pending.deadline = nil
                }
                return Array(pending.due.values)
            }
            // A failed refresh (a Maildir removed meanwhile) is retried by the next event or poll.
            for mailbox in due { _ = try? mailbox.refresh() }
            if now >= nextPoll {
                for mailbox in table.takeIdle(now: now) { retire(mailbox) }
                for mailbox in table.all {
                    _ = try? mailbox.refresh()
                    try? mailbox.persistIfChanged()
                }
                nextPoll = ContinuousClock.now + pollInterval
            }
        }
    }

    private func waitForEvents(until deadline: ContinuousClock.Instant) {
        let remaining = ContinuousClock.now.duration(to: deadline)
        let milliseconds = max(0, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        if inotify >= 0 { fds.append(pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)) }
        _ = poll(&fds, nfds_t(fds.count), Int32(clamping: milliseconds + 1))
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while Glibc.read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    /// Reads every queued inotify event: our own (expected) ones are dropped, any other marks its
    /// mailbox changed and schedules a refresh.
    private func readEvents() {
        guard inotify >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(inotify, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            var offset = 0
            while offset + 16 <= count {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = buffer[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }
                offset += 16 + length
                handle(wd: wd, mask: mask, name: String(decoding: nameBytes, as: UTF8.self))
            }
        }
    }

    private func handle(wd: Int32, mask: UInt32, name: String) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            for mailbox in table.all { schedule(mailbox) }
            return
        }
        let mailbox = pending.withLock { pending in
            defer { if mask & UInt32(IN_IGNORED) != 0 { pending.watches[wd] = nil } }
            return pending.watches[wd]
        }
        guard let mailbox else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            // The directory went away (or was replaced): polling only from now on.
            mailbox.isWatched.store(false, ordering: .sequentiallyConsistent)
            schedule(mailbox)
        } else if !mailbox.expectedEvents.consume(name) {
            schedule(mailbox)
        }
    }

    private func resolveHints() {
        let (hints, known) = pending.withLock { pending in
            defer { pending.hints = [] }
            return (pending.hints, pending.canonicalPaths)
        }
        var canonicalPaths = known
        for path in hints {
            let canonical: String
            if let resolved = canonicalPaths[path] {
                canonical = resolved
            } else {
                canonical = POSIX.realPath(path)
                canonicalPaths[path] = canonical
            }
            if let mailbox = table.mailbox(forKey: canonical) { schedule(mailbox) }
        }
        if canonicalPaths.count != known.count {
            pending.withLock { $0.canonicalPaths.merge(canonicalPaths) { current, _ in current } }
        }
    }

    private func schedule(_ mailbox: SharedMailbox) {
        mailbox.foreignChange.store(true, ordering: .sequentiallyConsistent)
        pending.withLock { pending in
            pending.due[mailbox.key] = mailbox
            if pending.deadline == nil { pending.deadline = .now + Self.coalescing }
        }
    }
}
