import POSIXSupport

/// The `dovecot-uidlist` file: the UID <-> file mapping, in Dovecot's own format so a Maildir moves between
/// Dovecot and Loft without clients resyncing.
///
/// Version 3 (Dovecot 1.1 and later, what we write):
/// ```
/// 3 V<uidvalidity> N<nextuid> G<mailbox guid hex> [other header fields]
/// <uid> [<key><value> ...] :<unique file name>
/// ```
/// Record keys are single uppercase letters (Dovecot uses `S` physical size, `W` virtual size, `P` POP3
/// UIDL, `O` POP3 order, `G` message GUID); unknown header fields and record keys are kept as read.
/// Version 1 (Courier-compatible, `1 <uidvalidity> <nextuid>` and `<uid> <file name>`) is read and
/// upgraded to version 3 on the next write.
struct DovecotUIDList: Equatable {
    struct Record: Equatable {
        var uid: UInt32
        /// Extension fields as `<key><value>`, e.g. `W1234`.
        var extensions: [String]
        var uniqueName: String

        func extensionValue(_ key: Character) -> String? {
            extensions.first { $0.first == key }.map { String($0.dropFirst()) }
        }

        mutating func setExtension(_ key: Character, _ value: String) {
            extensions.removeAll { $0.first == key }
            extensions.append("\(key)\(value)")
        }
    }

    var uidValidity: UInt32
    var nextUID: UInt32
    /// 32 hex digits.
    var mailboxGUID: String
    /// Header fields we do not interpret, kept verbatim (`<key><value>`).
    var otherHeaderFields: [String]
    /// Sorted by UID ascending, UIDs strictly increasing.
    var records: [Record]
    /// How many records the file held when this list was read (nil for a list not read from
    /// a file): records after these may be appended instead of rewriting the file.
    private(set) var recordsOnDisk: Int?

    /// After the list was written out (whole, or its new records appended): all of it is on disk.
    mutating func markSaved() {
        recordsOnDisk = records.count
    }

    /// A new, empty list. UIDVALIDITY is the creation time, as Dovecot does.
    static func fresh(uidValidity: UInt32, mailboxGUID: String) -> DovecotUIDList {
        DovecotUIDList(uidValidity: uidValidity, nextUID: 1, mailboxGUID: mailboxGUID,
                       otherHeaderFields: [], records: [])
    }

    /// Parses the file's text. Throws `MailStoreError.corruptUIDList` naming `path` and the line.
    /// A missing mailbox GUID is left empty; the caller generates one.
    init(parsing text: String, path: String) throws {
        var lines = TextLines.split(text)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first else {
            throw MailStoreError.corruptUIDList(path: path, line: 1, reason: "empty file")
        }
        func corrupt(_ line: Int, _ reason: String) -> MailStoreError {
            .corruptUIDList(path: path, line: line, reason: reason)
        }
        let headerFields = header.split(separator: " ")
        var validity: UInt32 = 0
        var next: UInt32 = 0
        var guid = ""
        var others: [String] = []
        let version = headerFields.first ?? ""
        switch version {
        case "1":
            guard headerFields.count >= 3, let v = UInt32(headerFields[1]), let n = UInt32(headerFields[2]) else {
                throw corrupt(1, "version 1 header needs <uidvalidity> <nextuid>")
            }
            validity = v
            next = n
        case "3":
            for field in headerFields.dropFirst() {
                let value = field.dropFirst()
                switch field.first {
                case "V": validity = UInt32(value) ?? 0
                case "N": next = UInt32(value) ?? 0
                case "G": guid = value.lowercased()
                default: others.append(String(field))
                }
            }
        default:
            throw corrupt(1, "unsupported version \(String(reflecting: String(version)))")
        }
        guard validity != 0, next != 0 else {
            throw corrupt(1, "header lacks UIDVALIDITY or next UID (V\(validity) N\(next))")
        }
        if !guid.isEmpty && (guid.count != 32 || !guid.allSatisfy(\.isHexDigit)) {
            throw corrupt(1, "mailbox GUID \(guid) is not 32 hex digits")
        }

        // An append cut off by a crash leaves a last line without its newline: it was never
        // acknowledged, so it is dropped rather than making the whole list unreadable.
        let tornLast = !text.hasSuffix("\n") && lines.count > 1
        var records: [Record] = []
        for (offset, line) in lines.dropFirst().enumerated() {
            let lineNumber = offset + 2
            if tornLast, lineNumber == lines.count, !Self.isCompleteRecord(line, version: version) { break }
            guard let space = line.firstIndex(of: " "), let uid = UInt32(line[..<space]), uid != 0 else {
                throw corrupt(lineNumber, "expected <uid> followed by a space")
            }
            if let last = records.last, uid <= last.uid {
                throw corrupt(lineNumber, "UIDs not ascending (\(uid) after \(last.uid))")
            }
            var rest = line[line.index(after: space)...]
            var extensions: [String] = []
            if version == "3" {
                // Extension fields up to the one starting with ':'; the name is everything after it.
                while let first = rest.first, first != ":" {
                    let end = rest.firstIndex(of: " ") ?? rest.endIndex
                    let field = rest[..<end]
                    guard first.isASCII, first.isUppercase else {
                        throw corrupt(lineNumber, "invalid extension field \(field)")
                    }
                    extensions.append(String(field))
                    rest = rest[end...].drop { $0 == " " }
                }
                guard rest.first == ":" else { throw corrupt(lineNumber, "missing :<file name>") }
                rest = rest.dropFirst()
            }
            guard !rest.isEmpty, !rest.contains("/") else {
                throw corrupt(lineNumber, "invalid file name \(String(reflecting: String(rest)))")
            }
            records.append(Record(uid: uid, extensions: extensions, uniqueName: String(rest)))
        }
        self.uidValidity = validity
        // Dovecot, too, never hands out a UID at or below one already listed.
        self.nextUID = max(next, (records.last?.uid ?? 0) &+ 1)
        self.mailboxGUID = guid
        self.otherHeaderFields = others
        self.records = records
        self.recordsOnDisk = records.count
    }

    /// Whether a record line is whole: `<uid> ... :<name>` (version 3) or `<uid> <name>`.
    private static func isCompleteRecord(_ line: Substring, version: Substring) -> Bool {
        guard let space = line.firstIndex(of: " "), UInt32(line[..<space]) != nil else { return false }
        let rest = line[line.index(after: space)...]
        if version == "3" {
            guard let colon = rest.firstIndex(of: ":") else { return false }
            return rest.index(after: colon) < rest.endIndex
        }
        return !rest.isEmpty
    }

    private init(uidValidity: UInt32, nextUID: UInt32, mailboxGUID: String, otherHeaderFields: [String],
                 records: [Record]) {
        self.uidValidity = uidValidity
        self.nextUID = nextUID
        self.mailboxGUID = mailboxGUID
        self.otherHeaderFields = otherHeaderFields
        self.records = records
        self.recordsOnDisk = nil
    }

    /// The file's text in version 3 format.
    func serialized() -> String {
        var header = ["3", "V\(uidValidity)", "N\(nextUID)", "G\(mailboxGUID)"]
        header += otherHeaderFields
        return header.joined(separator: " ") + "\n" + Self.lines(records[...])
    }

    /// Record lines in version 3 format.
    static func lines(_ records: ArraySlice<Record>) -> String {
        var text = ""
        for record in records {
            text += "\(record.uid) "
            for field in record.extensions { text += field + " " }
            text += ":" + record.uniqueName + "\n"
        }
        return text
    }
}
