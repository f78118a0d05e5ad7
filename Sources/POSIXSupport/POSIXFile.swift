public import Glibc

/// Thin wrappers over the POSIX file calls Loft's storage, delivery, user database and configuration need,
/// turning failures into the caller's own `Failure.system(operation:path:errno:)`. POSIX is used directly
/// (not Foundation) because durability needs `fsync` on files *and* directories, and hard links, and so
/// errors say plainly which call failed on which file.
///
/// Every call blocks on the file system: call from a thread pool, never from an event loop.
public enum POSIXFile<Failure: SystemCallErrorRepresentable> {
    /// The error for `operation` failing on `path` with `code` (the current `errno` unless given).
    public static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> Failure {
        .system(operation: operation, path: path, errno: code)
    }

    /// `open(2)`, retried on EINTR, always with O_CLOEXEC; returns the file descriptor.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw error("open", path) }
        }
    }

    /// `close(2)`; its result is ignored (the data that matters is fsynced before).
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes all of `bytes`, looping over short writes; `path` names the file in errors.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = Glibc.write(fd, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw error("write", path)
            }
            next += written
            left -= written
        }
    }

    /// `fsync(2)`, retried on EINTR; `path` names the file in errors.
    public static func fsync(_ fd: Int32, path: String) throws {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw error("fsync", path) }
        }
    }

    /// `fdatasync(2)`, retried on EINTR: the file's data and the metadata needed to read it back (size, block
    /// map), without its timestamps. Enough for a new message or envelope file that is written once and never
    /// updated: nothing reads its mtime, and its name is made durable by an fsync of its directory.
    public static func dataSync(_ fd: Int32, path: String) throws {
        while Glibc.fdatasync(fd) != 0 {
            if errno != EINTR { throw error("fdatasync", path) }
        }
    }

    /// Replaces the file at `path` with `bytes` so that a crash at any moment leaves the old content or the
    /// new: written to `temporaryPath` (default `<path>.tmp`), fsynced, renamed over `path`, then `directory`
    /// fsynced. The caller makes the temporary name safe (a lock, or a name only it uses).
    public static func replaceDurably(
        _ path: String, with bytes: some Collection<UInt8>, directory: String, temporaryPath: String? = nil,
        mode: mode_t = 0o600
    ) throws {
        let temporary = temporaryPath ?? path + ".tmp"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do {
            try Array(bytes).withUnsafeBytes { try writeAll(fd, $0, path: temporary) }
            try fsync(fd, path: temporary)
            close(fd)
        } catch {
            close(fd)
            _ = Glibc.unlink(temporary)
            throw error
        }
        try rename(temporary, path)
        try fsyncDirectory(directory)
    }

    /// Makes the entries of a directory (creates, renames, unlinks) durable.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// `rename(2)`: atomically replaces `to` with `from`.
    public static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw error("rename", "\(from) -> \(to)") }
    }

    /// `unlink(2)`; returns false when the file did not exist.
    @discardableResult
    public static func unlink(_ path: String) throws -> Bool {
        if Glibc.unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw error("unlink", path)
    }

    /// `stat(2)`; nil when the path does not exist.
    public static func fileStatus(_ path: String) throws -> stat? {
        var info = Glibc.stat()
        let result: Int32 = stat(path, &info)
        if result == 0 { return info }
        if errno == ENOENT { return nil }
        throw error("stat", path)
    }

    /// Creates a directory; an existing one is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        if Glibc.mkdir(path, mode) != 0 && errno != EEXIST { throw error("mkdir", path) }
    }

    /// The names in a directory, without `.`, `..` and other dot files (Maildir never names messages so).
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }

    /// Reads the file at `path` up to the size it had when opened, with the `stat` of exactly
    /// that version. Throws `.system(errno: ENOENT)` when it is missing.
    /// - Parameter check: called with that `stat` before anything is read; whatever it throws is rethrown
    ///   (e.g. to refuse what is not a regular file).
    public static func readFile(_ path: String, check: (stat) throws -> Void = { _ in }) throws
        -> (bytes: [UInt8], status: stat) {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var info = Glibc.stat()
        if fstat(fd, &info) != 0 { throw error("fstat", path) }
        try check(info)
        // Straight into the array at the size fstat gave: a Maildir file never changes once it is
        // visible (it is written in tmp/ and renamed), and a file replaced or rewritten meanwhile gets a
        // new `FileStamp`, so its reader reads it again; no second pass for growth.
        let bytes = try [UInt8](unsafeUninitializedCapacity: Int(info.st_size)) { buffer, count in
            count = 0
            while count < buffer.count {
                let read = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if read < 0 {
                    if errno == EINTR { continue }
                    throw error("read", path)
                }
                if read == 0 { break }
                count += read
            }
        }
        return (bytes, info)
    }

    /// Makes `destination` a second name of the file at `source` (`link(2)`); where a hard link is not
    /// possible (another file system, or the file has too many links) writes a durable copy instead.
    /// `destination` must not exist. The directory entry is not fsynced: that is the caller's job.
    public static func linkOrCopy(_ source: String, _ destination: String) throws {
        if Glibc.link(source, destination) == 0 { return }
        let code = errno
        guard code == EXDEV || code == EMLINK else { throw error("link", "\(source) -> \(destination)", code) }
        try copy(source, destination)
    }

    /// Copies `source` to a new file `destination` (mode 0600) and fsyncs it; a partial copy is removed.
    public static func copy(_ source: String, _ destination: String) throws {
        let input = try open(source, O_RDONLY)
        defer { close(input) }
        let output = try open(destination, O_WRONLY | O_CREAT | O_EXCL)
        do {
            try readChunks(input, path: source) { try writeAll(output, $0, path: destination) }
            try fsync(output, path: destination)
            close(output)
        } catch {
            close(output)
            _ = try? unlink(destination)
            throw error
        }
    }

    /// Reads `fd` to its end, handing each chunk read to `body`; `path` names the file in errors.
    private static func readChunks(_ fd: Int32, path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if count == 0 { return }
            try chunk.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// The canonical absolute path (symlinks resolved), or the input when it cannot be resolved.
    public static func realPath(_ path: String) -> String {
        guard let resolved = Glibc.realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Wall-clock time as seconds and microseconds.
    public static func now() -> (seconds: Int, microseconds: Int) {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return (time.tv_sec, time.tv_nsec / 1000)
    }
}
