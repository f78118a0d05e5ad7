import MailStore

/// A mailbox name the client sent that is not valid modified UTF-7 (RFC 3501 §5.1.3), or not
/// valid UTF-8 once the session uses UTF-8 names.
struct IMAPNameError: Error, CustomStringConvertible {
    var description: String
}

/// Mailbox names and strings between the wire and MailStore. A session speaks modified UTF-7
/// (RFC 3501 §5.1.3) until it enables IMAP4rev2 or UTF8=ACCEPT; from then on names are UTF-8
/// both ways (RFC 9051 §5.1, RFC 9755 §3) and `&` is just a character (`utf8`).
enum IMAPNames {
    /// The client's mailbox name (`INBOX` in any case) as a validated Maildir++ name.
    static func mailbox(_ raw: IMAPMailboxName, utf8: Bool) throws -> MailboxName {
        if raw.isInbox { return try MailboxName("INBOX") }
        var bytes = raw.bytes
        // RFC 3501 §6.3.3: a trailing separator only says the client means to create children.
        while bytes.count > 1, bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return try MailboxName(text(bytes, utf8: utf8))
    }

    /// A mailbox name for the wire, as a quoted string.
    static func wire(_ name: MailboxName, utf8: Bool) -> String {
        quoted(name.isInbox ? "INBOX" : utf8 ? name.name : ModifiedUTF7.encode(name.name))
    }

    /// The Unicode text of a name or pattern as the client sent it.
    private static func text(_ bytes: [UInt8], utf8: Bool) throws -> String {
        if utf8 {
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }), let text = String(validating: bytes, as: UTF8.self) else {
                throw IMAPNameError(description: "mailbox names are UTF-8 without control characters (RFC 9051 section 5.1)")
            }
            return text
        }
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw IMAPNameError(description: "mailbox names are 7-bit modified UTF-7 (RFC 3501 section 5.1.3)")
        }
        do {
            return try ModifiedUTF7.decode(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw IMAPNameError(description: "\(error)")
        }
    }

    /// A text as an IMAP quoted string (RFC 3501 §9 `quoted`; 8-bit only where the session uses UTF-8).
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
    /// decoded names; nil when the pattern is not a valid name text.
    static func pattern(reference: IMAPMailboxName, _ pattern: [UInt8], utf8: Bool) -> IMAPNamePattern? {
        var full = reference.bytes
        if !full.isEmpty, !pattern.isEmpty, full.last != UInt8(ascii: "."), pattern.first != UInt8(ascii: ".") {
            full.append(UInt8(ascii: "."))
        }
        full += pattern
        guard let text = try? text(full, utf8: utf8) else { return nil }
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
