/// The IMAP system flags of a message as a compact bit set: one byte per message in memory, 100,000 of
/// them per open mailbox. `\Recent` is not here: it is per session (`SharedMailbox.claimRecent()`).
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let seen = MessageFlags(rawValue: 1 << 0)
    public static let answered = MessageFlags(rawValue: 1 << 1)
    public static let flagged = MessageFlags(rawValue: 1 << 2)
    public static let deleted = MessageFlags(rawValue: 1 << 3)
    public static let draft = MessageFlags(rawValue: 1 << 4)

    /// The Maildir letter of each IMAP system flag (`P`, passed, has no IMAP flag and is not here).
    private static let letters: [(MessageFlags, MaildirFlag)] = [
        (.seen, .seen), (.answered, .replied), (.flagged, .flagged), (.deleted, .trashed), (.draft, .draft),
    ]

    /// The flags of a Maildir file name's `:2,` info.
    public init(_ maildirFlags: Set<MaildirFlag>) {
        var flags = MessageFlags()
        for (flag, letter) in Self.letters where maildirFlags.contains(letter) { flags.insert(flag) }
        self = flags
    }

    /// The Maildir flag letters for these flags.
    public var maildirFlags: Set<MaildirFlag> {
        Set(Self.letters.filter { contains($0.0) }.map(\.1))
    }
}
