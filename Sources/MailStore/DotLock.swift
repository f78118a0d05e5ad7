import Glibc

/// A dotlock file (`<file>.lock`) created with `O_CREAT|O_EXCL`, the lock Dovecot takes around
/// `dovecot-uidlist` changes. A lock older than `staleAfter` seconds belongs to a crashed process and is
/// overridden, as Dovecot does (its uidlist lock goes stale after 2 minutes).
struct DotLock {
    let path: String

    /// Takes the lock, waiting up to `timeout` seconds for another holder.
    static func acquire(path: String, staleAfter: Int = 120, timeout: Int = 130) throws -> DotLock {
        let deadline = POSIX.now().seconds + timeout
        while true {
            do {
                let fd = try POSIX.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
                // The holder's pid, for an admin looking at a stuck lock.
                let owner = Array("\(getpid())\n".utf8)
                try? owner.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: path) }
                POSIX.close(fd)
                return DotLock(path: path)
            } catch MailStoreError.system(_, _, EEXIST) {
                if let info = try POSIX.fileStatus(path), POSIX.now().seconds - info.st_mtim.tv_sec > staleAfter {
                    // Stale: the holder died. Two processes overriding the same stale lock at the same
                    // moment can still both win (the second unlinks the first's new lock): the same
                    // window every O_EXCL dotlock has. Within one process the path lock rules it out.
                    try POSIX.unlink(path)
                    continue
                }
                if POSIX.now().seconds >= deadline {
                    throw MailStoreError.lockTimeout(path: path, seconds: timeout)
                }
                usleep(10_000)
            }
        }
    }

    /// Releases the lock. A lock already removed (overridden as stale) is not an error.
    func release() {
        _ = try? POSIX.unlink(path)
    }
}
