import MailStore

/// A message's flags as IMAP writes them (RFC 3501 §2.3.2): system flags, \Recent where the
/// session has it, then keywords.
enum IMAPWireFlags {
    static func list(_ record: MessageRecord, _ state: MailboxState, recent: Set<UInt32>) -> [String] {
        var flags: [String] = []
        if record.flags.contains(.answered) { flags.append("\\Answered") }
        if record.flags.contains(.flagged) { flags.append("\\Flagged") }
        if record.flags.contains(.deleted) { flags.append("\\Deleted") }
        if record.flags.contains(.seen) { flags.append("\\Seen") }
        if record.flags.contains(.draft) { flags.append("\\Draft") }
        if recent.contains(record.uid) { flags.append("\\Recent") }
        if record.keywordBits != 0 { flags += state.keywords(of: record) }
        return flags
    }

    /// `(\Seen kw)`.
    static func parenthesized(_ record: MessageRecord, _ state: MailboxState, recent: Set<UInt32>) -> String {
        "(" + list(record, state, recent: recent).joined(separator: " ") + ")"
    }
}
