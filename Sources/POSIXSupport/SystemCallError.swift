#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, for callers of `POSIXFile` that word their own messages (the passwd-file and
/// configuration readers) rather than carry an error enum of their own.
public struct SystemCallError: SystemCallErrorRepresentable, Equatable, CustomStringConvertible {
    /// The call: `open`, `fstat`, `read`, ...
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public static func system(operation: String, path: String, errno: Int32) -> SystemCallError {
        SystemCallError(operation: operation, path: path, errno: errno)
    }

    /// The `strerror` text of `errno`, e.g. "No such file or directory".
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(operation) \(path): \(reason)" }
}
