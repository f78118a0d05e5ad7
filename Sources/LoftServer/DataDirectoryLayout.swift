#if canImport(Glibc)
import Glibc
#endif

/// The directories Loft itself makes under `data_dir`: the data directory, `mail/`, `queue/` and the
/// queue's `tmp/`, `messages/` and `envelopes/` (see `Spool`). Every one is mode 0700, and belongs to the
/// user the server runs as.
struct DataDirectoryLayout: Sendable, Equatable {
    /// `data_dir`, without a trailing slash.
    let root: String

    /// The queue directories `Spool` writes, under `queue/`.
    static let queueSubdirectories = ["tmp", "messages", "envelopes"]

    init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    var mail: String { root + "/mail" }
    var queue: String { root + "/queue" }

    /// Every layout directory, parents first.
    var directories: [String] {
        [root, mail, queue] + Self.queueSubdirectories.map { queue + "/" + $0 }
    }

    /// Creates whatever is missing of the layout; missing parents of `data_dir` are made like `mkdir -p`
    /// does (mode 0755 less the umask, owned by whoever runs this).
    ///
    /// With an `owner` (a root process that will run as that user), the layout becomes theirs: directories
    /// created here, and layout directories found owned by root, are given to the owner's uid and primary
    /// gid. Nothing else changes hands: not what is inside `mail/` (an old Maildir created by root stays
    /// root's, and the start-up check reports it), and not an existing root-owned `data_dir` that holds
    /// anything but Loft's own `mail/` and `queue/` (so a mistyped `data_dir = "/var/lib"` gives nothing
    /// away). Below `data_dir` (which the owner controls) no symbolic link is followed: a layout directory
    /// that is a link is left alone, and so is everything under it.
    func create(owner: RunUser?) throws {
        try makeParents()
        let created = try Self.makeDirectory(at: AT_FDCWD, root, path: root)
        let rootFD = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw Self.failure("cannot open", root) }
        defer { Glibc.close(rootFD) }
        if let owner, created || isLoftsOwn(rootFD) {
            try Self.adopt(rootFD, path: root, created: created, owner: owner)
        }
        if let mailFD = try Self.openLayoutDirectory(in: rootFD, "mail", path: mail, owner: owner) {
            Glibc.close(mailFD)
        }
        guard let queueFD = try Self.openLayoutDirectory(in: rootFD, "queue", path: queue, owner: owner) else { return }
        defer { Glibc.close(queueFD) }
        for name in Self.queueSubdirectories {
            if let fd = try Self.openLayoutDirectory(in: queueFD, name, path: queue + "/" + name, owner: owner) {
                Glibc.close(fd)
            }
        }
    }

    /// `mkdir -p` for the parents of `root`.
    private func makeParents() throws {
        let components = root.split(separator: "/").dropLast()
        var partial = root.hasPrefix("/") ? "" : "."
        for component in components {
            partial += "/" + component
            if Glibc.mkdir(partial, 0o755) != 0 && errno != EEXIST { throw Self.failure("cannot create", partial) }
        }
    }

    /// An existing root-owned `data_dir` is taken over only when it is empty or already holds `mail` or `queue`.
    private func isLoftsOwn(_ fd: Int32) -> Bool {
        let copy = dup(fd)
        guard copy >= 0, let directory = fdopendir(copy) else {
            if copy >= 0 { Glibc.close(copy) }
            return false
        }
        defer { closedir(directory) }
        var empty = true
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            if name == "mail" || name == "queue" { return true }
            empty = false
        }
        return empty
    }

    /// Opens (creating it if missing) the layout directory `name` in `parent`, and gives it to `owner` if
    /// it was created or is root's. Returns nil for a symbolic link when there is an owner (left alone).
    private static func openLayoutDirectory(in parent: Int32, _ name: String, path: String, owner: RunUser?) throws -> Int32? {
        let created = try makeDirectory(at: parent, name, path: path)
        var flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC
        if owner != nil {
            var status = stat()
            if fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) == 0 && status.st_mode & S_IFMT == S_IFLNK { return nil }
            flags |= O_NOFOLLOW
        }
        let fd = openat(parent, name, flags)
        guard fd >= 0 else {
            if errno == ENOTDIR { throw DataDirectoryError("data_dir: \(path) is not a directory") }
            throw failure("cannot open", path)
        }
        if let owner {
            do { try adopt(fd, path: path, created: created, owner: owner) } catch { Glibc.close(fd); throw error }
        }
        return fd
    }

    /// Returns whether the directory was created (false: it was there already).
    private static func makeDirectory(at parent: Int32, _ name: String, path: String) throws -> Bool {
        if mkdirat(parent, name, 0o700) == 0 { return true }
        if errno == EEXIST { return false }
        throw failure("cannot create", path)
    }

    /// Gives the open directory to `owner` if it was just created or belongs to root.
    private static func adopt(_ fd: Int32, path: String, created: Bool, owner: RunUser) throws {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure("cannot inspect", path) }
        guard created || (status.st_uid == 0 && owner.uid != 0) else { return }
        guard fchown(fd, owner.uid, owner.gid) == 0 else {
            throw DataDirectoryError("data_dir: cannot give \(path) to user \"\(owner.name)\": \(String(cString: strerror(errno)))")
        }
        if created, fchmod(fd, 0o700) != 0 { throw failure("cannot set the mode of", path) }
    }

    private static func failure(_ what: String, _ path: String) -> DataDirectoryError {
        let code = errno
        return DataDirectoryError("data_dir: \(what) \(path): \(String(cString: strerror(code)))", code: code)
    }
}

/// Why the data directory is not usable: one line naming the path (and for permissions its owner and
/// mode, the user and a fix).
struct DataDirectoryError: Error, CustomStringConvertible {
    var description: String
    /// The errno behind it, when a system call failed.
    var code: Int32
    init(_ description: String, code: Int32 = 0) {
        self.description = description
        self.code = code
    }

    var isPermissionDenied: Bool { code == EACCES || code == EPERM }
}
