/// The parts of a Maildir message file name: `<unique name>[:2,<flag letters>]`, where Dovecot puts the
/// sizes into the unique name as `,S=<size>` and `,W=<virtual size>` fields.
///
/// The unique name never changes for a message; the info part after `:` changes with its flags.
public struct MaildirFileName: Sendable, Equatable {
    /// The file name without the info part: what `dovecot-uidlist` records.
    public let uniqueName: String
    /// The standard flags from a `:2,` info part.
    public let flags: Set<MaildirFlag>
    /// Keyword letters `a`–`z` from a `:2,` info part (mapped to names by `dovecot-keywords`), in ASCII order.
    public let keywordLetters: [Character]
    /// `S=` from the unique name: the size of the file in bytes.
    public let size: Int?
    /// `W=` from the unique name: the size with every bare LF counted as CRLF.
    public let virtualSize: Int?

    /// Parses a file name as found in `new/` or `cur/`. Unknown info versions and letters are ignored.
    public init(_ fileName: String) {
        let unique: Substring
        var flags = Set<MaildirFlag>()
        var keywords: [Character] = []
        if let colon = fileName.firstIndex(of: ":") {
            unique = fileName[..<colon]
            let info = fileName[fileName.index(after: colon)...]
            if info.hasPrefix("2,") {
                for letter in info.dropFirst(2) {
                    if let flag = MaildirFlag(rawValue: letter) {
                        flags.insert(flag)
                    } else if letter >= "a" && letter <= "z" {
                        keywords.append(letter)
                    }
                }
            }
        } else {
            unique = Substring(fileName)
        }
        var size: Int?
        var virtualSize: Int?
        // Fields follow the first comma: `<base>,S=123,W=130`.
        for field in unique.split(separator: ",").dropFirst() {
            if field.hasPrefix("S=") { size = Int(field.dropFirst(2)) }
            if field.hasPrefix("W=") { virtualSize = Int(field.dropFirst(2)) }
        }
        self.uniqueName = String(unique)
        self.flags = flags
        self.keywordLetters = Array(Set(keywords)).sorted()
        self.size = size
        self.virtualSize = virtualSize
    }

    /// The file name for `uniqueName` with the given flags and keyword letters, letters in ASCII order as
    /// the Maildir convention requires (`<unique>:2,<letters>`).
    public static func format(uniqueName: String, flags: Set<MaildirFlag>, keywordLetters: [Character] = []) -> String {
        let letters = (flags.map(\.rawValue) + keywordLetters).sorted()
        return uniqueName + ":2," + String(letters)
    }
}
