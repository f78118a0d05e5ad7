import Glibc
import POSIXSupport

/// The `stat` of what tells whether a Maildir changed: `new/`, `cur/`, `dovecot-uidlist` and
/// `dovecot-keywords` (nil where missing), and when they were taken. Equal stamps let an open or a
/// refresh skip the readdir of a 100,000-file `cur/` (as Dovecot's maildir index header does).
struct MaildirStamps: Sendable, Equatable {
    var new: FileStamp?
    var cur: FileStamp?
    var uidList: FileStamp?
    var keywords: FileStamp?
    /// Wall-clock time of the stat calls.
    var takenAt: timespec

    /// A directory's mtime comes from the kernel's coarse clock (one tick, up to 10 ms, often a second on
    /// network file systems): a rename just after the stamp can leave it unchanged. A stamp is trusted
    /// only once its directories' mtimes are this much older than the moment it was taken (Dovecot waits
    /// one second the same way, MAILDIR_SYNC_SECS). The uidlist is always replaced by rename (new inode)
    /// or appended to (new size), so only the directories need it.
    static let racyWindowNanoseconds: Int64 = 1_000_000_000

    static func take(maildir path: String) throws -> MaildirStamps {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return MaildirStamps(
            new: try POSIX.fileStatus(path + "/new").map(FileStamp.init),
            cur: try POSIX.fileStatus(path + "/cur").map(FileStamp.init),
            uidList: try POSIX.fileStatus(path + "/dovecot-uidlist").map(FileStamp.init),
            keywords: try POSIX.fileStatus(path + "/dovecot-keywords").map(FileStamp.init),
            takenAt: now)
    }

    /// Same files as `other` (the time they were taken aside).
    func sameFiles(as other: MaildirStamps) -> Bool {
        new == other.new && cur == other.cur && uidList == other.uidList && keywords == other.keywords
    }

    /// Whether a change made right after the stamp is sure to show in a later stamp (see
    /// `racyWindowNanoseconds`): such a change sets a directory's mtime and ctime to the current tick, so
    /// it is missed only when both already were in that tick.
    var isTrustworthy: Bool {
        func nanoseconds(_ time: timespec) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec) }
        let taken = nanoseconds(takenAt)
        return [new, cur].allSatisfy { stamp in
            guard let stamp else { return false }
            return nanoseconds(stamp.modified) + Self.racyWindowNanoseconds <= taken
                || nanoseconds(stamp.changed) + Self.racyWindowNanoseconds <= taken
        }
    }

    static func == (a: MaildirStamps, b: MaildirStamps) -> Bool {
        a.sameFiles(as: b) && a.takenAt.tv_sec == b.takenAt.tv_sec && a.takenAt.tv_nsec == b.takenAt.tv_nsec
    }
}
