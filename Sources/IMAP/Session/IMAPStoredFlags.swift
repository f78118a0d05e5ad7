import MailStore

/// Flags a client asks to store (STORE, APPEND): system flags and keywords. `\Recent` and other
/// `\` flags cannot be stored (RFC 3501 §2.3.2): `refused` names the first such flag.
struct IMAPStoredFlags {
    var system = MessageFlags()
    var keywords: [String] = []
    var refused: String?

    init(_ flags: [IMAPFlag]) {
        for flag in flags {
            switch flag {
            case .seen: system.insert(.seen)
            case .answered: system.insert(.answered)
            case .flagged: system.insert(.flagged)
            case .deleted: system.insert(.deleted)
            case .draft: system.insert(.draft)
            case .keyword(let name): keywords.append(name)
            case .extension(let name): refused = refused ?? "\\" + name
            }
        }
    }
}
