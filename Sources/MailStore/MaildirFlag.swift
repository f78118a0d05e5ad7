/// A standard Maildir flag: one letter in the `:2,` info part of a file name
/// (https://cr.yp.to/proto/maildir.html, "What can I put in filenames?").
public enum MaildirFlag: Character, Sendable, CaseIterable, Comparable {
    /// `D`: draft (IMAP `\Draft`).
    case draft = "D"
    /// `F`: flagged (IMAP `\Flagged`).
    case flagged = "F"
    /// `P`: passed, i.e. resent/forwarded (no IMAP system flag; Dovecot keeps it).
    case passed = "P"
    /// `R`: replied (IMAP `\Answered`).
    case replied = "R"
    /// `S`: seen (IMAP `\Seen`).
    case seen = "S"
    /// `T`: trashed (IMAP `\Deleted`).
    case trashed = "T"

    public static func < (lhs: MaildirFlag, rhs: MaildirFlag) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The flag of a file name's info letter, nil for another byte.
    init?(byte: UInt8) {
        switch byte {
        case UInt8(ascii: "D"): self = .draft
        case UInt8(ascii: "F"): self = .flagged
        case UInt8(ascii: "P"): self = .passed
        case UInt8(ascii: "R"): self = .replied
        case UInt8(ascii: "S"): self = .seen
        case UInt8(ascii: "T"): self = .trashed
        default: return nil
        }
    }
}
