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
    /// Works on the UTF-8 bytes: a first SELECT parses every file name of the mailbox.
    public init(_ fileName: String) {
        let bytes = fileName.utf8
        let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
        var flags = Set<MaildirFlag>()
        var keywords: [Character] = []
        if let colon {
            let info = bytes[bytes.index(after: colon)...]
            if info.starts(with: "2,".utf8) {
                for byte in info.dropFirst(2) {
                    if let flag = MaildirFlag(byte: byte) {
                        flags.insert(flag)
                    } else if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") {
                        keywords.append(Character(Unicode.Scalar(byte)))
                    }
                }
            }
        }
        let unique = bytes[..<(colon ?? bytes.endIndex)]
        var size: Int?
        var virtualSize: Int?
        // Fields follow the first comma: `<base>,S=123,W=130`.
        var fields = unique.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).dropFirst()[...]
        while let field = fields.popFirst() {
            guard field.count > 2, field[field.index(after: field.startIndex)] == UInt8(ascii: "=") else { continue }
            switch field.first {
            case UInt8(ascii: "S"): size = Self.decimal(field.dropFirst(2))
            case UInt8(ascii: "W"): virtualSize = Self.decimal(field.dropFirst(2))
            default: break
            }
        }
        self.uniqueName = colon == nil ? fileName : String(Substring(unique))
        self.flags = flags
        self.keywordLetters = keywords.isEmpty ? [] : Array(Set(keywords)).sorted()
        self.size = size
        self.virtualSize = virtualSize
    }

    /// A non-negative decimal number, nil when the bytes are not one (or it overflows).
    private static func decimal(_ digits: Substring.UTF8View.SubSequence) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
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
        arrivedBefore(Array(a.utf8), Array(b.utf8))
    }

    /// `arrivedBefore` over the names' bytes (sorting converts each name once, not per comparison).
    static func arrivedBefore(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            guard isDigit(a[i]), isDigit(b[j]) else {
                if a[i] != b[j] { return a[i] < b[j] }
                i += 1
                j += 1
                continue
            }
            // Two runs of digits: skip leading zeros, then the longer number is larger, then the
            // first differing digit decides.
            while i < a.count, a[i] == 0x30 { i += 1 }
            while j < b.count, b[j] == 0x30 { j += 1 }
            var endA = i
            var endB = j
            while endA < a.count, isDigit(a[endA]) { endA += 1 }
            while endB < b.count, isDigit(b[endB]) { endB += 1 }
            if endA - i != endB - j { return endA - i < endB - j }
            while i < endA {
                if a[i] != b[j] { return a[i] < b[j] }
                i += 1
                j += 1
            }
        }
        return i == a.count && j < b.count
    }

    /// Unique names in arrival order (see `arrivedBefore`).
    static func inArrivalOrder(_ names: [String]) -> [String] {
        names.map { (name: $0, bytes: Array($0.utf8)) }
            .sorted { arrivedBefore($0.bytes, $1.bytes) }
            .map(\.name)
    }
}
