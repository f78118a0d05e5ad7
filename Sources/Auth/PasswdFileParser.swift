/// Parses Dovecot's passwd-file format:
/// `name:{SCHEME}hash:uid:gid:gecos:home:shell:extra_fields` — only `name` and the hash are required;
/// `#` comment lines and blank lines are skipped. Only crypt(3) hashes are accepted.
enum PasswdFileParser {
    /// Scheme prefixes that all mean "a crypt(3) string follows" and are stripped.
    static let cryptSchemes: Set<String> = ["CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT"]

    /// Parses the whole file. Every problem names `path` and the 1-based line number.
    /// A user defined twice is an error (which of the two would win is not obvious to an admin).
    static func parse(_ bytes: [UInt8], path: String, defaultDomain: String) throws(PasswdFileError) -> [String: UserRecord] {
        var users: [String: UserRecord] = [:]
        var firstLine: [String: Int] = [:]
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard let text = String(validating: rawLine, as: UTF8.self) else {
                throw PasswdFileError(path: path, line: lineNumber, message: "line is not valid UTF-8")
            }
            guard let record = try parseLine(text, path: path, line: lineNumber, defaultDomain: defaultDomain) else { continue }
            if let earlier = firstLine[record.login] {
                throw PasswdFileError(path: path, line: lineNumber,
                                      message: "user \(record.login) is already defined on line \(earlier)")
            }
            firstLine[record.login] = lineNumber
            users[record.login] = record
        }
        return users
    }

    /// Parses one line; nil for a comment or blank line.
    static func parseLine(_ rawText: String, path: String, line: Int, defaultDomain: String) throws(PasswdFileError) -> UserRecord? {
        let text = rawText.hasSuffix("\r") ? String(rawText.dropLast()) : rawText
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }

        func failure(_ message: String) -> PasswdFileError { PasswdFileError(path: path, line: line, message: message) }

        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2 else { throw failure("expected at least `name:hash`, found no `:`") }
        guard let name = LoginName(fields[0], defaultDomain: defaultDomain) else {
            throw failure("invalid user name (empty, or contains spaces or control characters, or empty local part/domain)")
        }
        let hash: String
        do throws(HashFieldError) { hash = try cryptHash(fromField: fields[1]) } catch { throw failure(error.message) }

        func number(_ index: Int, _ what: String) throws(PasswdFileError) -> UInt32? {
            guard index < fields.count, !fields[index].isEmpty else { return nil }
            guard let value = UInt32(fields[index]) else { throw failure("\(what) must be a number, found \"\(fields[index])\"") }
            return value
        }
        let uid = try number(2, "uid")
        let gid = try number(3, "gid")
        let home = fields.count > 5 && !fields[5].isEmpty ? fields[5] : nil
        // Dovecot joins everything after the 7th `:` back together as the extra fields.
        let extra = fields.count > 7 ? fields[7...].joined(separator: ":") : ""
        return UserRecord(
            login: name.canonical, localPart: name.localPart, domain: name.domain, passwordHash: hash,
            uid: uid, gid: gid, home: home,
            extraFields: extra.split(separator: " ", omittingEmptySubsequences: true).map(String.init))
    }

    /// A problem with a password field; the message never repeats the field.
    struct HashFieldError: Error {
        var message: String
    }

    /// Strips a known `{SCHEME}` prefix and checks that what remains is a crypt string
    /// (`$id$…`), or a locked entry (`!…` / `*…`, which never verifies).
    static func cryptHash(fromField field: String) throws(HashFieldError) -> String {
        var hash = Substring(field)
        if hash.hasPrefix("{") {
            guard let close = hash.firstIndex(of: "}") else {
                throw HashFieldError(message: "password field starts with `{` but has no closing `}`")
            }
            let scheme = hash[hash.index(after: hash.startIndex)..<close].uppercased()
            guard cryptSchemes.contains(scheme) else {
                let plain = ["PLAIN", "CLEARTEXT", "CLEAR", "PLAIN-TRUNC"].contains(scheme)
                throw HashFieldError(message: "unsupported password scheme {\(scheme)}"
                    + (plain ? " (plaintext passwords are not supported)" : "")
                    + "; use a crypt hash, e.g. from `loft user passwd` or `mkpasswd -m yescrypt`")
            }
            hash = hash[hash.index(after: close)...]
        }
        guard let first = hash.first else { throw HashFieldError(message: "password field is empty") }
        guard first == "$" || first == "!" || first == "*" else {
            throw HashFieldError(message: "password field is not a crypt hash ($y$, $6$, $5$, $2b$, ...); plaintext passwords are not supported")
        }
        return String(hash)
    }
}
