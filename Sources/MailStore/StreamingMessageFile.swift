public import Glibc
public import POSIXSupport

/// A message streamed into a new file as it arrives, never held whole in memory, with its size and virtual
/// size counted on the way (`sizes`). Small pieces are gathered and written in chunks of 64 KiB, so line-sized
/// pieces from SMTP DATA do not cost one system call each.
///
/// A value type with no lock: its owner keeps it in its own locked state. The file stays open until
/// `close()` or `discard()`; dropping an open value leaks the descriptor, so owners discard in `deinit`.
/// Failures throw `Failure.system(operation:path:errno:)`. Blocking file I/O: call from a thread pool.
public struct StreamingMessageFile<Failure: SystemCallErrorRepresentable>: Sendable {
    /// The file being written.
    public let path: String
    /// Size and virtual size of every byte appended so far.
    public private(set) var sizes = MessageSizeCounter()
    /// The open file; nil once closed or discarded.
    private var fd: Int32?
    private var pending: [UInt8] = []

    private static var flushThreshold: Int { 64 * 1024 }

    /// Creates the file at `path` (mode 0600); it must not exist yet.
    /// - Throws: `Failure.system` from `open` (errno `EEXIST` when the name is taken).
    public init(creatingAt path: String) throws {
        self.fd = try POSIXFile<Failure>.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        self.path = path
    }

    /// Whether the file is still open for writing (not yet closed or discarded).
    public var isOpen: Bool { fd != nil }

    /// Appends `bytes` to the message. The file must be open.
    /// - Throws: `Failure.system` when a write fails; the file is then discarded.
    public mutating func append(_ bytes: some Collection<UInt8>) throws {
        sizes.add(bytes)
        pending.append(contentsOf: bytes)
        if pending.count >= Self.flushThreshold {
            do {
                try flush()
            } catch {
                discard()
                throw error
            }
        }
    }

    /// Writes out every byte appended so far (not yet fsynced). The file must be open.
    public mutating func flush() throws {
        guard let fd else { preconditionFailure("flush() on closed file \(path)") }
        try pending.withUnsafeBytes { try POSIXFile<Failure>.writeAll(fd, $0, path: path) }
        pending.removeAll(keepingCapacity: true)
    }

    /// fsyncs what was written so far. The file must be open; call `flush()` first.
    public func sync() throws {
        guard let fd else { preconditionFailure("sync() on closed file \(path)") }
        try POSIXFile<Failure>.fsync(fd, path: path)
    }

    /// fdatasyncs what was written so far (see `POSIXFile.dataSync` for why that suffices for a new file
    /// written once). The file must be open; call `flush()` first.
    public func dataSync() throws {
        guard let fd else { preconditionFailure("dataSync() on closed file \(path)") }
        try POSIXFile<Failure>.dataSync(fd, path: path)
    }

    /// `fstat(2)` of the open file, the very inode being written.
    public func status() throws -> stat {
        guard let fd else { preconditionFailure("status() on closed file \(path)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXFile<Failure>.error("fstat", path) }
        return info
    }

    /// Closes the file and keeps it on disk; anything not flushed is dropped.
    public mutating func close() {
        guard let fd else { return }
        POSIXFile<Failure>.close(fd)
        self.fd = nil
        pending = []
    }

    /// Closes and removes the file if it is still open; does nothing once closed or discarded.
    public mutating func discard() {
        guard isOpen else { return }
        close()
        _ = try? POSIXFile<Failure>.unlink(path)
    }
}
