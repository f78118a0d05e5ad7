import Glibc
import POSIXSupport

/// The quota of one user: one quota root, the whole Maildir++ tree (INBOX and every folder), with its
/// usage kept in the root's `maildirsize` file (see `MaildirSizeFile`), so a check reads one small file
/// instead of listing every message.
///
/// How the count stays right:
/// - Loft's own changes append one line each, as they happen: APPEND, COPY and MOVE (`SharedMailbox`),
///   EXPUNGE and POP3 deletions (`Maildir.delete`, counting only files it really removed), local delivery
///   (`DeliveryTransaction`). Each line is one `O_APPEND` write, so concurrent sessions and processes never
///   lose one another's changes; Courier's and Dovecot's deliveries append the same way.
/// - Deleting a folder, and changes Loft did not make that a mailbox rescan notices (a file expunged or
///   added to `cur/` by another program), remove the file (`invalidate`): the next check recalculates.
/// - The file is recalculated when it is missing, unreadable, longer than 5120 bytes or defines other
///   limits than the configured ones (the Maildir++ rules), and before a check says "over quota" when this
///   process has not recalculated it for `refusalRecheckInterval`: mail removed behind Loft's back (by a
///   program that does not update `maildirsize`) never keeps a user locked out for long.
/// - A recalculation reads only file names (`S=` gives the size; a `stat` only for names without it).
///   A change made while it runs (file placed before its listing, line appended after its rename) may be
///   counted twice; the next recalculation corrects that, as in every Maildir++ implementation.
///
/// Blocking: every method does file I/O.
public struct MaildirQuota: Sendable {
    /// The Maildir++ root (the INBOX directory).
    public let root: String
    public let limits: QuotaLimits

    static let fileName = "maildirsize"
    /// How stale a count may be before a refusal is checked against the disk.
    static let refusalRecheckInterval = 300

    public init(root: String, limits: QuotaLimits) {
        self.root = root
        self.limits = limits
    }

    private var filePath: String { root + "/" + Self.fileName }

    /// Blocking. The current usage, recalculated first when the file cannot be trusted.
    public func usage() throws -> QuotaUsage {
        try Self.withLock(root) {
            if let usage = readUsage() { return usage }
            return try recalculateLocked()
        }
    }

    /// Blocking. Throws `QuotaExceeded` unless `adding` more still fits. A message that fits exactly is
    /// taken; one that would pass a limit is not (Dovecot and Courier count the same way).
    public func check(adding: QuotaUsage) throws {
        guard !limits.isUnlimited else { return }
        var usage = try self.usage()
        if !limits.admits(usage + adding), Self.lastRecalculation(root) < POSIX.now().seconds - Self.refusalRecheckInterval {
            usage = try Self.withLock(root) { try recalculateLocked() }
        }
        guard limits.admits(usage + adding) else { throw QuotaExceeded(root: root, usage: usage, limits: limits) }
    }

    /// Blocking. Counts every message of the tree and rewrites `maildirsize` (through a file in `tmp/`).
    @discardableResult
    public func recalculate() throws -> QuotaUsage {
        try Self.withLock(root) { try recalculateLocked() }
    }

    /// The usage from the file, or nil when it must be recalculated.
    private func readUsage() -> QuotaUsage? {
        guard let (bytes, status) = try? POSIX.readFile(filePath), status.st_size <= MaildirSizeFile.recalculationSize,
              let parsed = MaildirSizeFile.parse(bytes), parsed.definition == MaildirSizeFile.definition(limits) else {
            return nil
        }
        return parsed.usage
    }

    private func recalculateLocked() throws -> QuotaUsage {
        var usage = QuotaUsage.zero
        let entries: [String]
        do {
            entries = try MailboxStore.entries(of: root)
        } catch MailStoreError.system(_, _, ENOENT) {
            return .zero  // no Maildir yet (a user who never got mail): nothing to count, nothing to write
        }
        var folders = [root]
        for entry in entries where entry.hasPrefix(".") && entry != "." && entry != ".." {
            folders.append(root + "/" + entry)
        }
        for folder in folders {
            for directory in ["/cur", "/new"] {
                let path = folder + directory
                let names: [String]
                do {
                    names = try POSIX.listDirectory(path)
                } catch MailStoreError.system(_, _, ENOENT), MailStoreError.system(_, _, ENOTDIR) {
                    continue  // not a selectable folder, or removed meanwhile
                }
                for name in names {
                    if let size = MaildirFileName(name).size {
                        usage.storage += Int64(size)
                    } else if let info = try POSIX.fileStatus(path + "/" + name) {
                        usage.storage += Int64(info.st_size)
                    } else {
                        continue  // gone since the listing
                    }
                    usage.messages += 1
                }
            }
        }
        let temporary = root + "/tmp/" + Self.fileName + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        // No fsync: the file is a cache that a crash at worst makes stale or unreadable, and then it is
        // recalculated.
        do {
            let fd = try POSIX.open(temporary, O_WRONLY | O_CREAT | O_EXCL)
            defer { POSIX.close(fd) }
            try Array(MaildirSizeFile.text(limits: limits, usage: usage).utf8).withUnsafeBytes {
                try POSIX.writeAll(fd, $0, path: temporary)
            }
            try POSIX.rename(temporary, filePath)
        } catch {
            _ = try? POSIX.unlink(temporary)
            throw error
        }
        Self.recalculated(root)
        return usage
    }

    // MARK: - Recording changes

    /// Blocking. Records that Loft added (positive) or removed (negative) messages in the Maildir++ folder
    /// at `folder` (INBOX or a `.Name` folder): one line appended to the tree's `maildirsize`, if it has
    /// one (none: no quota is kept for this user, or it is recalculated at the next check). Best effort:
    /// a failed write leaves the file stale, so it is removed and recalculated later.
    public static func record(_ change: QuotaUsage, inFolder folder: String) {
        guard change != .zero else { return }
        let root = Self.root(ofFolder: folder)
        let path = root + "/" + fileName
        withLock(root) {
            let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { return }
            defer { Glibc.close(fd) }
            let line = Array(MaildirSizeFile.line(storage: change.storage, messages: change.messages).utf8)
            // One write(2): O_APPEND keeps concurrent lines whole and in some order.
            let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written != line.count { _ = Glibc.unlink(path) }
        }
    }

    /// Blocking. Makes the next check recalculate the usage of the tree `folder` belongs to.
    public static func invalidate(folder: String) {
        let root = Self.root(ofFolder: folder)
        withLock(root) { _ = Glibc.unlink(root + "/" + fileName) }
    }

    /// The Maildir++ root of `folder`: its parent for a `.Name` folder inside a Maildir, else itself.
    static func root(ofFolder folder: String) -> String {
        var trimmed = Substring(folder)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/"), trimmed[trimmed.index(after: slash)...].hasPrefix(".") else {
            return String(trimmed)
        }
        let parent = String(trimmed[..<slash])
        // A root whose own name starts with a dot (`~/.maildir`) has no Maildir above it.
        var info = stat()
        guard !parent.isEmpty, stat(parent + "/cur", &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            return String(trimmed)
        }
        return parent
    }

    // MARK: - In-process serialisation

    /// Recalculations and recorded changes of one root take turns inside this process, so no line is
    /// appended to a file a recalculation is about to replace (and lost with it).
    private static func withLock<T>(_ root: String, _ body: () throws -> T) rethrows -> T {
        let lock = ProcessLockRegistry.lock(for: "maildirsize:" + root)
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static let recalculations = LockedValue<[String: Int]>([:])

    private static func recalculated(_ root: String) {
        recalculations.withLock { $0[root] = POSIX.now().seconds }
    }

    /// When this process last recalculated `root` (seconds since 1970; 0 for never).
    private static func lastRecalculation(_ root: String) -> Int {
        recalculations.withLock { $0[root] ?? 0 }
    }
}
