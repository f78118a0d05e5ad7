#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX file helpers (blocking) used by the passwd-file code.
enum FileSnapshot {
    /// `stat(2)` of `path`, or the `errno` text.
    static func stamp(of path: String) -> Result<FileStamp, PasswdFileError> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(error(path, "cannot stat")) }
        return .success(FileStamp(st))
    }

    /// Reads the whole file and the stamp of exactly the version read (via `fstat` on the open fd).
    static func read(_ path: String) throws(PasswdFileError) -> (bytes: [UInt8], stamp: FileStamp) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error(path, "cannot open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw error(path, "cannot stat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw PasswdFileError(path: path, message: "not a regular file") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw error(path, "cannot read")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return (bytes, FileStamp(st))
    }

    /// An error naming the file, the action and the current `errno`.
    static func error(_ path: String, _ action: String) -> PasswdFileError {
        PasswdFileError(path: path, message: "\(action): \(String(cString: strerror(errno)))")
    }
}
