/// A validated mailbox name of the Maildir++ layout (DESIGN.md "Storage: Maildir").
///
/// The hierarchy separator is `.`, on disk and over IMAP, as Dovecot's default Maildir++ layout shows it:
/// IMAP name `Projects.2024` is the directory `.Projects.2024` under the Maildir root, and no component
/// can contain a `.`. (A `/` separator would need an escape for `.` inside names; Dovecot's default
/// does not have one, and Maildirs must move between the two unchanged.)
/// Names are kept as Unicode text here; on disk each is modified UTF-7 (RFC 3501 section 5.1.3), exactly as
/// Dovecot writes them (`Entwürfe` is `.Entw&APw-rfe`).
public struct MailboxName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The hierarchy separator.
    public static let separator: Character = "."

    /// The name, `INBOX` spelled in capitals when it is the first component.
    public let name: String

    public var description: String { name }

    public var isInbox: Bool { name == "INBOX" }

    /// The components between separators.
    public var components: [Substring] { name.split(separator: Self.separator, omittingEmptySubsequences: false) }

    /// The name of the directory under the Maildir root (`.` + modified UTF-7); empty for INBOX.
    public var directoryName: String { isInbox ? "" : "." + ModifiedUTF7.encode(name) }

    /// Every superior name, outermost first (`a`, `a.b` for `a.b.c`).
    public var ancestors: [MailboxName] {
        let parts = components
        return (1..<max(parts.count, 1)).map { MailboxName(unchecked: parts[..<$0].joined(separator: ".")) }
    }

    /// Whether `self` is strictly below `other` in the hierarchy.
    public func isInferior(to other: MailboxName) -> Bool {
        name.hasPrefix(other.name + String(Self.separator))
    }

    /// Validates `name` (as a client gave it, already decoded from modified UTF-7).
    /// - Throws: `MailboxError.invalidName` for an empty name or component (leading, trailing or doubled
    ///   `.`), `/`, control characters, the IMAP wildcards `*` and `%`; `.nameTooLong` when the directory
    ///   name would exceed `maximumDirectoryNameBytes` (255: what file systems allow).
    public init(_ name: String, maximumDirectoryNameBytes: Int = 255) throws(MailboxError) {
        guard !name.isEmpty else { throw .invalidName(name, reason: "empty") }
        for scalar in name.unicodeScalars {
            switch scalar {
            case "/": throw .invalidName(name, reason: "contains '/'")
            case "*", "%": throw .invalidName(name, reason: "contains the IMAP wildcard '\(scalar)'")
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                throw .invalidName(name, reason: "contains a control character")
            default: break
            }
        }
        var parts = name.split(separator: Self.separator, omittingEmptySubsequences: false).map(String.init)
        if parts.contains(where: \.isEmpty) {
            throw .invalidName(name, reason: "empty hierarchy level (leading, trailing or doubled '.')")
        }
        if parts[0].uppercased() == "INBOX" { parts[0] = "INBOX" }
        let canonical = parts.joined(separator: ".")
        self.name = canonical
        if directoryName.utf8.count > maximumDirectoryNameBytes {
            throw .nameTooLong(name, limit: maximumDirectoryNameBytes)
        }
    }

    /// The name of a Maildir++ directory (`.Name`), nil when it is not one (not modified UTF-7, or
    /// not a valid name, like Dovecot's `..DOVECOT-TRASH`).
    init?(directoryName: String) {
        guard directoryName.hasPrefix("."), directoryName.count > 1,
              let decoded = try? ModifiedUTF7.decode(String(directoryName.dropFirst())),
              let name = try? MailboxName(decoded, maximumDirectoryNameBytes: Int.max),
              !name.isInbox, name.directoryName == directoryName else { return nil }
        self = name
    }

    init(unchecked name: String) {
        self.name = name
    }

    public static func < (lhs: MailboxName, rhs: MailboxName) -> Bool {
        if lhs.isInbox != rhs.isInbox { return lhs.isInbox }
        return lhs.name < rhs.name
    }
}
