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

extension MaildirFileName {
    /// Arrival order for unique names that have no UID yet: runs of digits compare as numbers, so
    /// `<secs>.M<usecs>P<pid>Q<n>` sorts by time, then microseconds, then counter (the numbers are
    /// not zero-padded, so plain string order would put `M100000` before `M99999`).
    static func arrivedBefore(_ a: String, _ b: String) -> Bool {
        var left = a.utf8[...], right = b.utf8[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        while let l = left.first, let r = right.first {
            if isDigit(l) && isDigit(r) {
                let leftDigits = left.prefix(while: isDigit).drop(while: { $0 == 0x30 })
                let rightDigits = right.prefix(while: isDigit).drop(while: { $0 == 0x30 })
                if leftDigits.count != rightDigits.count { return leftDigits.count < rightDigits.count }
                if !leftDigits.elementsEqual(rightDigits) { return leftDigits.lexicographicallyPrecedes(rightDigits) }
                left = left.drop(while: isDigit)
                right = right.drop(while: isDigit)
            } else {
                if l != r { return l < r }
                left = left.dropFirst()
                right = right.dropFirst()
            }
        }
        return left.isEmpty && !right.isEmpty
    }
}
