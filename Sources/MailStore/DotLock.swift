import Dispatch
import Glibc
import POSIXSupport

/// A dotlock file (`<file>.lock`) created with `O_CREAT|O_EXCL`, the lock Dovecot takes around
/// `dovecot-uidlist` changes. A lock not touched for `staleAfter` belongs to a crashed process and is
/// overridden, as Dovecot does (its uidlist lock goes stale after 2 minutes).
///
/// While held, the lock's mtime is refreshed every quarter of `staleAfter` by a timer (as Dovecot touches
/// its dotlocks), so a live holder doing a long `synchronize` is never taken for a dead one.
final class DotLock {
    let path: String
    /// Touches the lock file (through its open descriptor) until `release()`.
    private let refresher: any DispatchSourceTimer

    private init(path: String, fd: Int32, refreshEvery interval: Duration) {
        self.path = path
        let nanoseconds = max(Int(interval.components.seconds) * 1_000_000_000
                              + Int(interval.components.attoseconds / 1_000_000_000), 1_000_000)
        refresher = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        refresher.setEventHandler { _ = futimens(fd, nil) }  // now, for both times
        refresher.setCancelHandler { POSIX.close(fd) }
        refresher.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds))
        refresher.resume()
    }

    deinit {
        refresher.cancel()
    }

    /// Takes the lock, waiting up to `timeout` for another holder.
    /// - Throws: `MailStoreError.lockTimeout` when a live holder keeps it that long.
    static func acquire(path: String, staleAfter: Duration = .seconds(120), timeout: Duration = .seconds(130))
        throws -> DotLock {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let fd = try POSIX.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
                // The holder's pid, for an admin looking at a stuck lock.
                let owner = Array("\(getpid())\n".utf8)
                try? owner.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: path) }
                return DotLock(path: path, fd: fd, refreshEvery: staleAfter / 4)
            } catch MailStoreError.system(_, _, EEXIST) {
                if let info = try POSIX.fileStatus(path), age(of: info) > staleAfter {
                    // Stale: the holder died. Two processes overriding the same stale lock at the same
                    // moment can still both win (the second unlinks the first's new lock): the same
                    // window every O_EXCL dotlock has. Within one process the path lock rules it out.
                    try POSIX.unlink(path)
                    continue
                }
                if ContinuousClock.now >= deadline {
                    throw MailStoreError.lockTimeout(path: path, seconds: Int(timeout.components.seconds))
                }
                usleep(10_000)
            }
        }
    }

    /// Releases the lock. A lock already removed (overridden as stale) is not an error.
    func release() {
        refresher.cancel()
        _ = try? POSIX.unlink(path)
    }

    /// Wall-clock time since the file's last modification.
    private static func age(of info: stat) -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return .seconds(now.tv_sec - info.st_mtim.tv_sec) + .nanoseconds(now.tv_nsec - info.st_mtim.tv_nsec)
    }
}
