import Glibc
public import POSIXSupport

/// Everything that can go wrong in the Maildir store. Each case names the file involved and what is wrong,
/// so the text can go straight into a log line.
public enum MailStoreError: SystemCallErrorRepresentable, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed: `operation` is the call (`open`, `fsync`, `rename`, ...), `errno` its error.
    case system(operation: String, path: String, errno: Int32)
    /// The message file is gone from `new/` and `cur/` (expunged by another session or program).
    case messageVanished(uid: UInt32, uniqueName: String, maildir: String)
    /// `dovecot-uidlist` cannot be parsed; `line` is 1-based. The file is left untouched for the admin.
    case corruptUIDList(path: String, line: Int, reason: String)
    /// The `dovecot-uidlist.lock` dotlock stayed held by someone else for `seconds`.
    case lockTimeout(path: String, seconds: Int)
    /// The directory is not a Maildir (no `cur/`, `new/` or `tmp/`) and creating it was not allowed.
    case notAMaildir(path: String)
    /// A user name that cannot be mapped to a directory safely (empty, `/`, `.`/`..`, NUL).
    case invalidUserName(String)
    /// `write`/`commit` on a delivery that was already committed or aborted.
    case deliveryFinished(temporaryPath: String)
    /// The mailbox ran out of UIDs (next UID would pass 2^32-1); see RFC 3501 section 2.3.1.1.
    case uidsExhausted(path: String)
    /// All 26 keyword letters of the Maildir at `path` are taken (IMAP `NO [LIMIT]`).
    case keywordLimitReached(path: String, limit: Int)
    /// Not a valid IMAP keyword (RFC 3501 `flag-keyword = atom`).
    case invalidKeyword(path: String, name: String)

    public var description: String {
        switch self {
        case let .system(operation, path, errno):
            return "\(operation)(\(path)) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .messageVanished(uid, uniqueName, maildir):
            return "message UID \(uid) (\(uniqueName)) vanished from Maildir \(maildir)"
        case let .corruptUIDList(path, line, reason):
            return "\(path) line \(line) is corrupt: \(reason)"
        case let .lockTimeout(path, seconds):
            return "could not take lock \(path): still held by another process after \(seconds) s"
        case let .notAMaildir(path):
            return "\(path) is not a Maildir (missing cur/, new/ or tmp/)"
        case let .invalidUserName(name):
            return "user name \(String(reflecting: name)) cannot be mapped to a Maildir path"
        case let .deliveryFinished(temporaryPath):
            return "delivery \(temporaryPath) was already committed or aborted"
        case let .uidsExhausted(path):
            return "\(path): no UIDs left below 2^32-1; the uidlist must be recreated with a new UIDVALIDITY"
        case let .keywordLimitReached(path, limit):
            return "\(path): all \(limit) keyword letters are taken"
        case let .invalidKeyword(path, name):
            return "\(path): keyword \(String(reflecting: name)) is not a valid IMAP atom"
        }
    }
}
