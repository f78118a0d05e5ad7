import Glibc
import POSIXSupport

/// Removes what crashed deliveries left in Maildir `tmp/` directories. A delivery writes its file in
/// `tmp/` and renames it into `new/`; a file still in `tmp/` long after is a leftover. The Maildir
/// convention (cr.yp.to/proto/maildir.html) is 36 hours; younger files may be deliveries in progress,
/// also by other programs, so they are left alone.
///
/// Blocking (readdir, stat, unlink): call from a thread pool or at start-up, never from an event loop.
public enum MaildirSweep {
    /// Files in `tmp/` not modified for this long (seconds) are leftovers.
    public static let staleTemporaryAge = 36 * 3600

    /// Removes the files in `<maildir>/tmp/` last modified more than 36 hours before `now` (seconds since the
    /// epoch). Returns how many were removed; a missing `tmp/` has none.
    /// - Throws: `MailStoreError.system` when `tmp/` cannot be read or a file not removed.
    public static func removeStaleTemporaryFiles(inMaildir maildir: String, now: Int = POSIXFile<MailStoreError>.now().seconds) throws -> Int {
        let directory = maildir + "/tmp"
        guard try POSIX.fileStatus(directory) != nil else { return 0 }
        let cutoff = now - staleTemporaryAge
        var removed = 0
        for name in try POSIX.listDirectory(directory) {
            let filePath = directory + "/" + name
            if let info = try POSIX.fileStatus(filePath), info.st_mode & S_IFMT == S_IFREG, info.st_mtim.tv_sec < cutoff,
               try POSIX.unlink(filePath) {
                removed += 1
            }
        }
        return removed
    }

    /// The same for every Maildir in Loft's layout under a data directory,
    /// `<dataDirectory>/mail/<domain>/<user>/Maildir`, and its Maildir++ folders (`.Name/`).
    /// Maildirs elsewhere (a user's `home`) are swept when a session synchronizes them.
    /// - Returns: how many files were removed, and the problems met (each Maildir is tried).
    public static func removeStaleTemporaryFiles(underDataDirectory dataDirectory: String, now: Int = POSIXFile<MailStoreError>.now().seconds)
        -> (removed: Int, problems: [any Error]) {
        var removed = 0
        var problems: [any Error] = []
        let mail = dataDirectory + "/mail"
        func each(_ directory: String, _ body: (String) throws -> Void) {
            do {
                guard try POSIX.fileStatus(directory) != nil else { return }
                for name in try POSIX.listDirectory(directory) { try body(directory + "/" + name) }
            } catch {
                problems.append(error)
            }
        }
        each(mail) { domain in
            each(domain) { user in
                let maildir = user + "/Maildir"
                do {
                    guard let info = try POSIX.fileStatus(maildir), info.st_mode & S_IFMT == S_IFDIR else { return }
                    removed += try removeStaleTemporaryFiles(inMaildir: maildir, now: now)
                    // Maildir++ folders: `.Name` directories in the root (listDirectory skips dot files).
                    for folder in try folders(of: maildir) {
                        removed += try removeStaleTemporaryFiles(inMaildir: folder, now: now)
                    }
                } catch {
                    problems.append(error)
                }
            }
        }
        return (removed, problems)
    }

    /// The Maildir++ folder directories (`.Name`) of a Maildir root.
    private static func folders(of maildir: String) throws -> [String] {
        guard let dir = opendir(maildir) else { throw POSIX.error("opendir", maildir) }
        defer { closedir(dir) }
        var folders: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.hasPrefix("."), name != ".", name != ".." else { continue }
            if let info = try POSIX.fileStatus(maildir + "/" + name), info.st_mode & S_IFMT == S_IFDIR {
                folders.append(maildir + "/" + name)
            }
        }
        return folders
    }
}
