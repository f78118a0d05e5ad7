import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A passwd-file opened for editing (`loft user add|passwd|del|list`).
///
/// Keeps every line verbatim — comments, blank lines, lines it does not understand, extra
/// fields, their order and line endings — and changes only the lines it is asked to, so a
/// load-and-write without edits reproduces the file byte for byte. Names are matched like the
/// server matches logins (`alice` = `alice@<default domain>`; domain case-insensitive).
public struct PasswdFile: Sendable {
    /// The file this was loaded from (used in error messages).
    public let path: String
    /// Domain for names without `@`.
    public let defaultDomain: String

    /// Lines without their `\n` (a `\r` of a CRLF line stays part of the line).
    private var lines: [String]
    private var endsWithNewline: Bool

    /// Parses file contents. Never fails: lines that are not user entries are kept as they are.
    public init(text: String, path: String, defaultDomain: String) {
        self.path = path
        self.defaultDomain = defaultDomain
        // Split on the LF scalar: in a String, CR LF is a single Character, so splitting on the
        // Character "\n" would leave a CRLF file as one line.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(Substring($0)) }
        endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        self.lines = lines
    }

    /// Loads `path`; a missing file gives an empty passwd-file (the first `add` creates it).
    /// - Throws: `PasswdFileError` if the file exists but cannot be read or is not UTF-8.
    public static func load(path: String, defaultDomain: String) throws(PasswdFileError) -> PasswdFile {
        var st = stat()
        if lstat(path, &st) != 0, errno == ENOENT {
            return PasswdFile(text: "", path: path, defaultDomain: defaultDomain)
        }
        let bytes = try FileSnapshot.read(path).bytes
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PasswdFileError(path: path, message: "file is not valid UTF-8")
        }
        return PasswdFile(text: text, path: path, defaultDomain: defaultDomain)
    }

    /// The file contents as they would be written.
    public var text: String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + (endsWithNewline ? "\n" : "")
    }

    /// The user names as written in the file, in file order.
    public var users: [String] {
        lines.compactMap(Self.userName(of:))
    }

    /// Appends `name:hash`.
    /// - Throws: if the name is invalid, already present, or `hash` is not a crypt string.
    public mutating func add(name: String, hash: String) throws(PasswdFileError) {
        let login = try validatedLogin(name)
        try validate(hash: hash)
        if index(of: login) != nil { throw PasswdFileError(path: path, message: "user \(name) already exists") }
        lines.append("\(name):\(hash)")
        endsWithNewline = true
    }

    /// Replaces the password field of `name`, keeping all other fields.
    /// - Throws: if the user does not exist or `hash` is not a crypt string.
    public mutating func setPassword(name: String, hash: String) throws(PasswdFileError) {
        let login = try validatedLogin(name)
        try validate(hash: hash)
        guard let index = index(of: login) else { throw PasswdFileError(path: path, message: "no user \(name)") }
        var line = lines[index]
        let carriageReturn = line.hasSuffix("\r")
        if carriageReturn { line.removeLast() }
        var fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        fields[1] = hash
        lines[index] = fields.joined(separator: ":") + (carriageReturn ? "\r" : "")
    }

    /// Removes the line of `name`.
    /// - Throws: if the user does not exist.
    public mutating func remove(name: String) throws(PasswdFileError) {
        let login = try validatedLogin(name)
        guard let index = index(of: login) else { throw PasswdFileError(path: path, message: "no user \(name)") }
        lines.remove(at: index)
    }

    /// Writes the file atomically and durably: a temporary file in the same directory with the
    /// permissions of the file it replaces (0600 for a new file, owner kept when allowed), written
    /// and `fsync`ed, renamed over `path`, then the directory `fsync`ed. A crash leaves either the
    /// old or the new file. A symlink at `path` is followed.
    public func write(to path: String) throws(PasswdFileError) {
        // Replace the file a symlink points to, not the symlink itself.
        var path = path
        if let resolved = realpath(path, nil) {
            path = String(cString: resolved)
            free(resolved)
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).tmp-\(UUID().uuidString)"

        var existing = stat()
        let replacing = stat(path, &existing) == 0
        let mode = replacing ? mode_t(existing.st_mode & 0o7777) : 0o600

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            switch errno {
            case ENOENT:
                throw PasswdFileError(path: path, message: "cannot write: the directory \(directory) does not exist; create it first")
            case EACCES, EPERM:
                throw PasswdFileError(
                    path: path, message: "cannot write: permission denied in \(directory); run as its owner or as root")
            default:
                throw FileSnapshot.error(path, "cannot write a new version in \(directory)")
            }
        }
        var success = false
        defer { if !success { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw FileSnapshot.error(temporary, "cannot set permissions") }
            if replacing, existing.st_uid != geteuid() || existing.st_gid != getegid() {
                // Only root can give the file away; otherwise the new file is ours, like any editor's.
                _ = fchown(fd, existing.st_uid, existing.st_gid)
            }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw FileSnapshot.error(temporary, "cannot write")
                }
                written += count
            }
            guard fsync(fd) == 0 else { throw FileSnapshot.error(temporary, "cannot fsync") }
        }
        guard rename(temporary, path) == 0 else { throw FileSnapshot.error(path, "cannot rename \(temporary) over it") }
        success = true
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw FileSnapshot.error(directory, "cannot open directory to fsync") }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw FileSnapshot.error(directory, "cannot fsync directory") }
    }

    // MARK: - Helpers

    /// The name field of a user line; nil for comments, blank lines and lines without `:`.
    private static func userName(of line: String) -> String? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard !trimmed.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { return nil }
        return String(line[..<colon])
    }

    private func index(of login: LoginName) -> Int? {
        lines.firstIndex { line in
            Self.userName(of: line).flatMap { LoginName($0, defaultDomain: defaultDomain) } == login
        }
    }

    private func validatedLogin(_ name: String) throws(PasswdFileError) -> LoginName {
        guard let login = LoginName(name, defaultDomain: defaultDomain) else {
            throw PasswdFileError(path: path, message: "invalid user name \"\(name)\"")
        }
        return login
    }

    private func validate(hash: String) throws(PasswdFileError) {
        guard !hash.contains(":"), !hash.contains("\n"), !hash.contains("\r") else {
            throw PasswdFileError(path: path, message: "password hash contains `:` or a line break")
        }
        do throws(PasswdFileParser.HashFieldError) {
            _ = try PasswdFileParser.cryptHash(fromField: hash)
        } catch {
            throw PasswdFileError(path: path, message: error.message)
        }
    }
}
