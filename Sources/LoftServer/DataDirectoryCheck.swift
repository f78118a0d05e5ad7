#if canImport(Glibc)
import Glibc
#endif

/// Whether `user` can write everything Loft writes under `data_dir`: the layout directories and, for every
/// Maildir that exists at `mail/<domain>/<user>/Maildir`, the directories on the way to it, the Maildir,
/// its `tmp/`, `new/` and `cur/` (and read its `dovecot-uidlist`).
///
/// Run it with the user's credentials in effect (`RunUser.withEffectiveIDs`), so the kernel answers:
/// supplementary groups, ACLs and read-only mounts included. `access` is that question, injectable for tests.
struct DataDirectoryCheck {
    let layout: DataDirectoryLayout
    let user: RunUser
    /// 0 when the effective credentials allow `mode` (`R_OK | W_OK | X_OK`...) on the path, else the errno.
    var access: (String, Int32) -> Int32 = { path, mode in
        faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0 ? 0 : errno
    }

    /// Directories must be listable, searchable and writable.
    static let directoryAccess = R_OK | W_OK | X_OK

    /// The first problem found, as one line, or nil when every path is usable.
    func firstProblem() -> String? {
        for directory in layout.directories {
            if let problem = problem(directory, Self.directoryAccess, layoutDirectory: true) { return problem }
        }
        for domain in subdirectories(of: layout.mail) {
            if let problem = problem(domain, Self.directoryAccess) { return problem }
            for mailbox in subdirectories(of: domain) {
                if let problem = problem(mailbox, Self.directoryAccess) { return problem }
                let maildir = mailbox + "/Maildir"
                guard isDirectory(maildir) else { continue }
                if let problem = problem(maildir, Self.directoryAccess) { return problem }
                for name in ["tmp", "new", "cur"] where isDirectory(maildir + "/" + name) {
                    if let problem = problem(maildir + "/" + name, Self.directoryAccess) { return problem }
                }
                let uidList = maildir + "/dovecot-uidlist"
                if exists(uidList), let problem = problem(uidList, R_OK) { return problem }
            }
        }
        return nil
    }

    private func problem(_ path: String, _ mode: Int32, layoutDirectory: Bool = false) -> String? {
        let error = access(path, mode)
        guard error != 0 else { return nil }
        let who = "user \"\(user.name)\""
        let verb = mode & W_OK != 0 ? "write to" : "read"
        if error == ENOENT {
            // Only a layout directory under a symbolic link Loft did not follow can be missing here.
            return layoutDirectory
                ? "data_dir: \(path) is missing; create it (mode 0700) owned by \(who)"
                : "data_dir: \(path) vanished during the start-up check"
        }
        if error == EROFS { return "data_dir: \(path) is on a read-only file system; \(who) cannot write to it" }
        if error == EACCES || error == EPERM, let blocked = unreachableAncestor(of: path) {
            return "data_dir: \(who) cannot reach \(path): \(blocked) is \(ownership(blocked)) and \(who) may not enter it. "
                + "Fix: chmod o+x \(blocked) (or let \(user.name) enter it through its group)"
        }
        if error == EACCES || error == EPERM {
            return "data_dir: \(path) is \(ownership(path)); \(who) cannot \(verb) it. "
                + "Fix: chown -R \(user.name):\(user.groupName) \(layout.root)"
        }
        return "data_dir: \(who) cannot \(verb) \(path) (\(ownership(path))): \(String(cString: strerror(error)))"
    }

    /// The nearest directory above `path` (up to `/`, or the working directory for a relative path) that
    /// the user may not search, if there is one.
    private func unreachableAncestor(of path: String) -> String? {
        let components = path.split(separator: "/").dropLast()
        var partial = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/"), access("/", X_OK) != 0 { return "/" }
        for component in components {
            partial += "/" + component
            if access(partial, X_OK) != 0 { return partial }
        }
        return nil
    }

    /// "owned by root:root (mode 0700)", or what is known of it.
    private func ownership(_ path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return "not inspectable (\(String(cString: strerror(errno))))" }
        return "owned by \(RunUser.userName(status.st_uid)):\(RunUser.groupName(status.st_gid)) (mode \(Self.octal(status.st_mode)))"
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    private func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// The directories in `path` (following links, as the server does), sorted; hidden names are skipped.
    private func subdirectories(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var found: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            if isDirectory(path + "/" + name) { found.append(path + "/" + name) }
        }
        return found.sorted()
    }
}
