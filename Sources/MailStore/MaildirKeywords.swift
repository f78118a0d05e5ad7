import Glibc
import POSIXSupport

/// The `dovecot-keywords` file of one Maildir (INBOX or a folder): which keyword each letter `a`–`z` in
/// a file name's `:2,` info stands for. One line per keyword, `<index> <name>`, index 0 being `a`;
/// Dovecot's own format, so keywords survive a move between Dovecot and Loft.
///
/// A letter, once given to a keyword, keeps it (file names on disk refer to it), so at most 26 keywords
/// per mailbox; IMAP reports the limit by leaving `\*` out of PERMANENTFLAGS once it is reached.
public struct MaildirKeywords: Sendable, Equatable {
    /// At most this many keywords per mailbox: one per letter `a`–`z`.
    public static let limit = 26

    /// Keyword names by index (0 is letter `a`); nil where the file has a gap.
    public private(set) var names: [String?]

    public init() { names = [] }

    /// Parses the file's text. Lines that do not parse (as Dovecot, which skips them) are ignored;
    /// indexes past `z` too.
    public init(parsing text: String) {
        var names: [String?] = []
        for line in TextLines.split(text) where !line.isEmpty {
            guard let space = line.firstIndex(of: " "), let index = Int(line[..<space]),
                  (0..<Self.limit).contains(index) else { continue }
            let name = String(line[line.index(after: space)...])
            guard Self.isValidName(name), !names.contains(name) else { continue }
            while names.count <= index { names.append(nil) }
            names[index] = name
        }
        self.names = names
    }

    /// The file's text.
    public func serialized() -> String {
        names.enumerated().compactMap { index, name in name.map { "\(index) \($0)\n" } }.joined()
    }

    /// The keyword for a file name letter, nil when the letter is not assigned.
    public func name(forLetter letter: Character) -> String? {
        guard let ascii = letter.asciiValue, ascii >= UInt8(ascii: "a"), ascii <= UInt8(ascii: "z") else { return nil }
        let index = Int(ascii - UInt8(ascii: "a"))
        return index < names.count ? names[index] : nil
    }

    /// The letter assigned to `name` (exact match), nil when it has none yet.
    public func letter(for name: String) -> Character? {
        names.firstIndex(of: name).map { Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8($0))) }
    }

    /// The keyword names for letters from a file name; unassigned letters are skipped.
    public func names(forLetters letters: [Character]) -> [String] {
        letters.compactMap(name(forLetter:))
    }

    /// The letter for `name`, assigning the first free one when it has none.
    /// - Throws: `MailboxError.invalidKeyword`; `.keywordLimitReached` when all 26 letters are taken.
    public mutating func assignLetter(for name: String) throws(MailboxError) -> Character {
        if let existing = letter(for: name) { return existing }
        guard Self.isValidName(name) else { throw .invalidKeyword(name) }
        let index: Int
        if let gap = names.firstIndex(of: nil) {
            index = gap
            names[gap] = name
        } else {
            guard names.count < Self.limit else { throw .keywordLimitReached(limit: Self.limit) }
            index = names.count
            names.append(name)
        }
        return Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(index)))
    }

    /// Whether `name` can be an IMAP keyword (RFC 3501 `flag-keyword = atom`): printable US-ASCII without
    /// space, `(`, `)`, `{`, `%`, `*`, `"`, `\`, `]`; system flags (starting with `\`) are not keywords.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"(){%*\"\\]".utf8.contains(byte)
        }
    }
}

extension Maildir {
    var keywordsPath: String { path + "/dovecot-keywords" }

    /// This mailbox's keyword letters as `dovecot-keywords` has them now (empty when there is no file).
    public func readKeywords() throws -> MaildirKeywords {
        do {
            return MaildirKeywords(parsing: String(decoding: try POSIX.readFile(keywordsPath).bytes, as: UTF8.self))
        } catch MailStoreError.system(_, _, ENOENT) {
            return MaildirKeywords()
        }
    }

    /// The keyword names of `message` (letters not in `dovecot-keywords` are skipped).
    public func keywords(of message: MaildirMessage) throws -> [String] {
        try readKeywords().names(forLetters: message.keywordLetters)
    }

    /// Replaces the message's flags and keywords: keywords without a letter yet get one in
    /// `dovecot-keywords` first (written durably under its `dovecot-keywords.lock` dotlock), then the file
    /// is renamed to `cur/<unique>:2,<letters>` (see `setFlags(_:of:)`).
    /// - Throws: `MailboxError.keywordLimitReached` when a new keyword needs a 27th letter (nothing changes);
    ///   `.invalidKeyword`; `MailStoreError.messageVanished`.
    public func setFlags(_ flags: Set<MaildirFlag>, keywords: Set<String>, of message: MaildirMessage) throws
        -> MaildirMessage {
        var letters: [Character] = []
        if !keywords.isEmpty {
            let known = try readKeywords()
            let missing = keywords.filter { known.letter(for: $0) == nil }
            var table = known
            if !missing.isEmpty {
                table = try updateKeywords { table in
                    for name in missing.sorted() { _ = try table.assignLetter(for: name) }
                }
            }
            letters = keywords.compactMap { table.letter(for: $0) }
        }
        return try setFlags(flags, keywordLetters: letters, of: message)
    }

    /// Reads `dovecot-keywords` under its dotlock, lets `change` modify it and writes it back durably when
    /// it changed (temporary file, fsync, rename, fsync the Maildir). Returns the table as written.
    func updateKeywords(_ change: (inout MaildirKeywords) throws -> Void) throws -> MaildirKeywords {
        let lock = try DotLock.acquire(path: keywordsPath + ".lock")
        defer { lock.release() }
        let before = try readKeywords()
        var table = before
        try change(&table)
        if table != before {
            try DurableFile.replace(keywordsPath, with: table.serialized(), directory: path)
        }
        return table
    }
}
