import Glibc
import Synchronization

/// One POP3 session per maildrop (RFC 1939 §8, RFC 2449 `IN-USE`) across every process on the
/// store: an exclusive `flock` on `loft-pop3.lock` in the Maildir. flock belongs to the open file
/// description, so two sessions of one process exclude each other as two Loft processes sharing the
/// data directory do (NFS clients map it to a lock on the server). The lock goes with the process:
/// a crash never leaves a maildrop locked.
public final class MaildropLock: Sendable {
    public static let fileName = "loft-pop3.lock"
    private let descriptor: Mutex<Int32>

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    /// The lock on the Maildir at `path`, or nil when another session holds it.
    public static func acquire(maildir path: String) throws -> MaildropLock? {
        let lockPath = path + "/" + fileName
        let fd = try POSIX.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            POSIX.close(fd)
            if code == EWOULDBLOCK { return nil }
            throw POSIX.error("flock", lockPath, code)
        }
        return MaildropLock(descriptor: fd)
    }

    /// Releases the lock. Calling it again does nothing.
    public func release() {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
