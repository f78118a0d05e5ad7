import MailStore

/// A mailbox name the client sent that is not valid modified UTF-7 (RFC 3501 §5.1.3).
struct IMAPNameError: Error, CustomStringConvertible {
    var description: String
}

/// Mailbox names and strings between the wire and MailStore.
enum IMAPNames {
    /// The client's mailbox name (modified UTF-7, RFC 3501 §5.1.3; `INBOX` in any case) as a
    /// validated Maildir++ name.
    static func mailbox(_ raw: IMAPMailboxName) throws -> MailboxName {
        if raw.isInbox { return try MailboxName("INBOX") }
        var bytes = raw.bytes
        // RFC 3501 §6.3.3: a trailing separator only says the client means to create children.
        while bytes.count > 1, bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw IMAPNameError(description: "mailbox names are 7-bit modified UTF-7 (RFC 3501 section 5.1.3)")
        }
        let decoded: String
        do {
            decoded = try ModifiedUTF7.decode(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw IMAPNameError(description: "\(error)")
        }
        return try MailboxName(decoded)
    }

    /// A mailbox name for the wire: modified UTF-7, as a quoted string.
    static func wire(_ name: MailboxName) -> String {
        quoted(name.isInbox ? "INBOX" : ModifiedUTF7.encode(name.name))
    }

    /// An ASCII text as an IMAP quoted string (RFC 3501 §9 `quoted`).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        result.append("\"")
        return result
    }

    /// A mailbox name pattern (`%` and `*` wildcards, RFC 3501 §6.3.8) as a matcher over
    /// decoded names; nil when the pattern is not valid modified UTF-7.
    static func pattern(reference: IMAPMailboxName, _ pattern: [UInt8]) -> IMAPNamePattern? {
        var full = reference.bytes
        if !full.isEmpty, !pattern.isEmpty, full.last != UInt8(ascii: "."), pattern.first != UInt8(ascii: ".") {
            full.append(UInt8(ascii: "."))
        }
        full += pattern
        guard let text = try? ModifiedUTF7.decode(String(decoding: full, as: UTF8.self)) else { return nil }
        return IMAPNamePattern(text)
    }
}

/// A LIST/LSUB pattern: `*` matches anything, `%` anything but the hierarchy separator.
/// `INBOX` at the start matches case-insensitively (RFC 3501 §5.1).
struct IMAPNamePattern {
    private let characters: [Character]

    init(_ text: String) {
        var characters = Array(text)
        if characters.count >= 5, String(characters[0..<5]).uppercased() == "INBOX",
           characters.count == 5 || characters[5] == "." {
            characters.replaceSubrange(0..<5, with: Array("INBOX"))
        }
        self.characters = characters
    }

    func matches(_ name: String) -> Bool {
        Self.match(characters[...], Array(name)[...])
    }

    /// Backtracking match; patterns are short, so the cost stays small.
    private static func match(_ pattern: ArraySlice<Character>, _ name: ArraySlice<Character>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        let rest = pattern.dropFirst()
        switch first {
        case "*":
            var tail = name
            while true {
                if match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        case "%":
            var tail = name
            while true {
                if match(rest, tail) { return true }
                guard let next = tail.first, next != "." else { return false }
                tail = tail.dropFirst()
            }
        default:
            guard name.first == first else { return false }
            return match(rest, name.dropFirst())
        }
    }
}
