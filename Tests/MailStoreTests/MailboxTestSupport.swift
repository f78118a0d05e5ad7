import Foundation
import Glibc
@testable import MailStore
import Synchronization

/// A Maildir with `count` messages placed straight in `cur/` (names carry `S=`/`W=`, as Dovecot's do),
/// `new/` and `cur/` dated an hour back so their stamps are trusted at once.
func makeMaildir(_ path: String, count: Int, flags: String = "") throws {
    _ = try Maildir.open(path: path)
    let body = Array("Subject: test\n\nbody\n".utf8)
    for n in 0..<count {
        let name = "1700000000.M\(n)P1Q\(n).test,S=\(body.count),W=\(body.count + 3):2,\(flags)"
        let fd = open(path + "/cur/" + name, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        precondition(fd >= 0, "cannot create \(name)")
        _ = body.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
    backdateDirectories(path)
}

/// Sets the mtime of `new/` and `cur/` an hour back (out of the racy window of `MaildirStamps`).
func backdateDirectories(_ path: String) {
    for directory in ["new", "cur"] { setModificationTime(path + "/" + directory, secondsAgo: 3600) }
}

func setModificationTime(_ path: String, secondsAgo: Int) {
    let time = timespec(tv_sec: Int(Date().timeIntervalSince1970) - secondsAgo, tv_nsec: 0)
    precondition(utimensat(AT_FDCWD, path, [time, time], 0) == 0)
}

/// Collects what an observer receives.
final class ChangeLog: Sendable {
    private let changes = Mutex<[MailboxChange]>([])

    func record(_ change: MailboxChange) {
        changes.withLock { $0.append(change) }
    }

    var all: [MailboxChange] { changes.withLock { $0 } }

    var appended: [UInt32] {
        all.flatMap { change -> [UInt32] in
            if case let .appended(records) = change.kind { return records.map(\.uid) }
            return []
        }
    }

    var flagged: [MessageRecord] {
        all.flatMap { change -> [MessageRecord] in
            if case let .flagsChanged(records) = change.kind { return records }
            return []
        }
    }

    var expunged: [UInt32] {
        all.flatMap { change -> [UInt32] in
            if case let .expunged(uids) = change.kind { return uids }
            return []
        }
    }

    /// Waits up to `timeout` for `condition` to hold.
    func wait(timeout: Double = 2, until condition: (ChangeLog) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(self) { return true }
            usleep(5_000)
        }
        return condition(self)
    }
}

/// A message as another program would write it straight into `new/`.
func writeExternalMessage(_ maildir: String, name: String, text: String = "Subject: external\n\nhi\n") throws {
    try writeFile(maildir + "/new/" + name, text)
}
