/// What can go wrong with folders, subscriptions and keywords (`MailboxStore`, `MaildirKeywords`), in
/// terms an IMAP server maps to response codes (RFC 5530): file system failures stay `MailStoreError`.
public enum MailboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a usable mailbox name (`[CANNOT]`); `reason` says why.
    case invalidName(String, reason: String)
    /// The name is longer on disk than `limit` bytes (`[LIMIT]`).
    case nameTooLong(String, limit: Int)
    /// The user already has `limit` folders (`[LIMIT]`).
    case folderLimitReached(limit: Int)
    /// CREATE or RENAME onto a name that exists (`[ALREADYEXISTS]`).
    case alreadyExists(String)
    /// No such mailbox (`[NONEXISTENT]`).
    case notFound(String)
    /// INBOX cannot be deleted (RFC 3501 section 6.3.4; `[CANNOT]`).
    case cannotDeleteInbox
    /// DELETE of a `\Noselect` name that has inferior names (RFC 3501 section 6.3.4; `[INUSE]`/`[CANNOT]`).
    case hasChildren(String)
    /// RENAME of a mailbox to itself or below itself (`[CANNOT]`).
    case renameIntoItself(from: String, to: String)
    /// Not a valid IMAP keyword (RFC 3501 `flag-keyword = atom`).
    case invalidKeyword(String)
    /// All 26 keyword letters of the mailbox are taken (`[LIMIT]`).
    case keywordLimitReached(limit: Int)

    public var description: String {
        switch self {
        case let .invalidName(name, reason): return "mailbox name \(String(reflecting: name)) is invalid: \(reason)"
        case let .nameTooLong(name, limit):
            return "mailbox name \(String(reflecting: name)) is too long (at most \(limit) bytes on disk)"
        case let .folderLimitReached(limit): return "too many folders (at most \(limit))"
        case let .alreadyExists(name): return "mailbox \(String(reflecting: name)) already exists"
        case let .notFound(name): return "mailbox \(String(reflecting: name)) does not exist"
        case .cannotDeleteInbox: return "INBOX cannot be deleted"
        case let .hasChildren(name):
            return "mailbox \(String(reflecting: name)) is not selectable and has children; delete them first"
        case let .renameIntoItself(from, to):
            return "cannot rename \(String(reflecting: from)) to \(String(reflecting: to)), inside itself"
        case let .invalidKeyword(name): return "keyword \(String(reflecting: name)) is not a valid IMAP atom"
        case let .keywordLimitReached(limit): return "the mailbox already has \(limit) keywords, the most it can have"
        }
    }
}
