/// An error type that can report a failed system call, so `POSIXFile` and `StreamingMessageFile` throw the
/// caller's own error type (`MailStoreError` here, other modules' error enums elsewhere).
///
/// An enum conforms by having a case `system(operation: String, path: String, errno: Int32)`.
public protocol SystemCallErrorRepresentable: Error {
    /// The error for the system call `operation` (`open`, `fsync`, `rename`, ...) failing on `path` with
    /// `errno`.
    static func system(operation: String, path: String, errno: Int32) -> Self
}
