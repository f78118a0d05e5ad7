import Glibc
import POSIXSupport

/// Whole-file replacement that survives a crash at any moment: the old or the new content.
enum DurableFile {
    /// Writes `text` to `<path>.tmp`, fsyncs it, renames it over `path` and fsyncs `directory`.
    /// The caller holds a lock that makes the fixed temporary name safe.
    static func replace(_ path: String, with text: String, directory: String, mode: mode_t = 0o600) throws {
        let temporaryPath = path + ".tmp"
        let fd = try POSIX.open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do {
            try Array(text.utf8).withUnsafeBytes { try POSIX.writeAll(fd, $0, path: temporaryPath) }
            try POSIX.fsync(fd, path: temporaryPath)
            POSIX.close(fd)
        } catch {
            POSIX.close(fd)
            _ = try? POSIX.unlink(temporaryPath)
            throw error
        }
        try POSIX.rename(temporaryPath, path)
        try POSIX.fsyncDirectory(directory)
    }
}
