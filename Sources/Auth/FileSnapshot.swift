#if canImport(Glibc)
import Glibc
#endif
import POSIXSupport

/// Small POSIX file helpers (blocking) used by the passwd-file code, worded as `PasswdFileError`s.
enum FileSnapshot {
    /// `stat(2)` of `path`, or the `errno` text.
    static func stamp(of path: String) -> Result<FileStamp, PasswdFileError> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(error(path, "cannot stat")) }
        return .success(FileStamp(st))
    }

    /// Reads the whole file (a regular file only) and the stamp of exactly the version read.
    static func read(_ path: String) throws(PasswdFileError) -> (bytes: [UInt8], stamp: FileStamp) {
        do {
            let file = try POSIXFile<SystemCallError>.readFile(path) { info in
                guard (info.st_mode & S_IFMT) == S_IFREG else { throw PasswdFileError(path: path, message: "not a regular file") }
            }
            return (file.bytes, FileStamp(file.status))
        } catch let failure as SystemCallError {
            let action = failure.operation == "fstat" ? "stat" : failure.operation
            throw PasswdFileError(path: path, message: "cannot \(action): \(failure.reason)")
        } catch let error as PasswdFileError {
            throw error
        } catch {
            throw PasswdFileError(path: path, message: "\(error)")  // not reached: readFile throws only the above
        }
    }

    /// An error naming the file, the action and the current `errno`.
    static func error(_ path: String, _ action: String) -> PasswdFileError {
        PasswdFileError(path: path, message: "\(action): \(String(cString: strerror(errno)))")
    }
}
