import Glibc

/// Sets a file's mtime: a Maildir message's INTERNALDATE (Dovecot reads it from there too).
enum ModificationTime {
    static func set(_ path: String, seconds: Int64) throws {
        let time = timespec(tv_sec: Int(seconds), tv_nsec: 0)
        let times = [time, time]  // access, modification
        if utimensat(AT_FDCWD, path, times, 0) != 0 { throw POSIX.error("utimensat", path) }
    }
}
