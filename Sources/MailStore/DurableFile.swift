import Glibc
import POSIXSupport

/// Whole-file replacement that survives a crash at any moment: the old or the new content.
enum DurableFile {
    /// Writes `text` to `<path>.tmp`, fsyncs it, renames it over `path` and fsyncs `directory`.
    /// The caller holds a lock that makes the fixed temporary name safe.
    static func replace(_ path: String, with text: String, directory: String, mode: mode_t = 0o600) throws {
        try POSIX.replaceDurably(path, with: text.utf8, directory: directory, mode: mode)
    }
}
