public import POSIXSupport
#if canImport(Glibc)
import Glibc
#endif

/// Everything that can go wrong while delivering or spooling a message. Each case names the file involved
/// and what is wrong, so the text can go straight into a log line.
public enum DeliveryError: SystemCallErrorRepresentable, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed: `operation` is the call (`open`, `link`, `fsync`, `rename`, ...), `errno` its error.
    case system(operation: String, path: String, errno: Int32)
    /// `write`/`commit` on a transaction that was already committed, failed or aborted.
    case transactionFinished(queueID: String)
    /// A spool envelope file that cannot be decoded; it is left in place for the admin.
    case corruptEnvelope(path: String, reason: String)
    /// A state file of the queue (the downgrade memory, TLS report counts) cannot be decoded; it is left in
    /// place for the admin.
    case corruptStateFile(path: String, reason: String)
    /// A queue id that cannot name a spool file (empty, or with `/`, `.` at the start, or NUL).
    case invalidQueueID(String)
    /// A transaction with neither local nor remote recipients.
    case noRecipients

    public var description: String {
        switch self {
        case let .system(operation, path, errno):
            return "\(operation)(\(path)) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .transactionFinished(queueID):
            return "delivery \(queueID) was already committed, failed or aborted"
        case let .corruptEnvelope(path, reason):
            return "spool envelope \(path) cannot be read: \(reason)"
        case let .corruptStateFile(path, reason):
            return "\(path) cannot be read: \(reason) (remove it to start afresh)"
        case let .invalidQueueID(id):
            return "\(String(reflecting: id)) is not a valid queue id"
        case .noRecipients:
            return "a delivery needs at least one recipient"
        }
    }
}
