import Glibc

/// The IMAP METADATA entries (RFC 5464) of one mailbox, or of the server for one user, kept in a small
/// file: a mailbox's in its own Maildir folder (`loft-metadata`), so RENAME carries them and DELETE
/// removes them with the folder; the server's in the user's Maildir root (`loft-server-metadata`; the root
/// is INBOX's folder too, hence the second name).
///
/// Entry names are stored as given (the caller lower-cases them); values are any octets.
/// Every method blocks on disk: call it on a thread pool.
public struct MetadataFile: Sendable {
    /// The file's name inside a mailbox folder.
    public static let mailboxFileName = "loft-metadata"
    /// The file's name inside the user's Maildir root, for server entries.
    public static let serverFileName = "loft-server-metadata"

    public let path: String
    /// The folder that holds the file; also what is locked around a change.
    public let directory: String

    /// The entries of the mailbox whose Maildir folder is `folder`.
    public static func mailbox(folder: String) -> MetadataFile {
        MetadataFile(path: folder + "/" + mailboxFileName, directory: folder)
    }

    /// The server entries of the user whose Maildir root is `root`.
    public static func server(root: String) -> MetadataFile {
        MetadataFile(path: root + "/" + serverFileName, directory: root)
    }

    /// Every entry; none when the file does not exist.
    /// - Throws: `MetadataFileError.corrupt` for a file that cannot be parsed (left alone for the admin).
    public func read() throws -> [String: [UInt8]] {
        let bytes: [UInt8]
        do {
            bytes = try POSIX.readFile(path).bytes
        } catch MailStoreError.system(_, _, ENOENT) {
            return [:]
        }
        guard let entries = MetadataFileFormat.decode(bytes) else { throw MetadataFileError.corrupt(path: path) }
        return entries
    }

    /// Reads the entries, lets `change` edit them and writes them back durably (temporary file, fsync,
    /// rename, fsync of the folder), all under an exclusive `flock` on the folder, so two sessions changing
    /// the same entries at once both land. Nothing is written when `change` throws or changes nothing; an
    /// empty set removes the file.
    /// - Throws: `MailStoreError.system(errno: ENOENT)` when the folder is gone (deleted or renamed).
    public func update(_ change: (inout [String: [UInt8]]) throws -> Void) throws {
        let fd = try POSIX.open(directory, O_RDONLY | O_DIRECTORY)
        defer { POSIX.close(fd) }
        // flock belongs to the open file description: threads of this process exclude each other as
        // processes do. The folder itself is locked, so no lock file is left behind.
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw POSIX.error("flock", directory) }
        }
        let before = try read()
        var after = before
        try change(&after)
        guard after != before else { return }
        if after.isEmpty {
            try POSIX.unlink(path)
            try POSIX.fsyncDirectory(directory)
        } else {
            try POSIX.replaceDurably(path, with: MetadataFileFormat.encode(after), directory: directory)
        }
    }
}

/// A metadata file that cannot be parsed.
public enum MetadataFileError: Error, CustomStringConvertible, Equatable, Sendable {
    case corrupt(path: String)

    public var description: String {
        switch self {
        case .corrupt(let path): "\(path) is corrupt (not a Loft metadata file)"
        }
    }
}

/// The file format: a header line, then per entry (sorted by name) `<name> <octets>\n<value>\n`. Values
/// are counted, not escaped, so any octet may appear in them.
enum MetadataFileFormat {
    static let header = Array("loft-metadata 1\n".utf8)

    static func encode(_ entries: [String: [UInt8]]) -> [UInt8] {
        var bytes = header
        for name in entries.keys.sorted() {
            let value = entries[name]!
            bytes += Array("\(name) \(value.count)\n".utf8)
            bytes += value
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// Nil for anything `encode` cannot have written.
    static func decode(_ bytes: [UInt8]) -> [String: [UInt8]]? {
        guard bytes.starts(with: header) else { return nil }
        var entries: [String: [UInt8]] = [:]
        var position = header.count
        while position < bytes.count {
            guard let lineEnd = bytes[position...].firstIndex(of: UInt8(ascii: "\n")),
                  let space = bytes[position..<lineEnd].lastIndex(of: UInt8(ascii: " ")),
                  space > position,
                  let count = Int(String(decoding: bytes[(space + 1)..<lineEnd], as: UTF8.self)),
                  count >= 0, lineEnd + 1 + count < bytes.count,
                  bytes[lineEnd + 1 + count] == UInt8(ascii: "\n")
            else { return nil }
            let name = String(decoding: bytes[position..<space], as: UTF8.self)
            entries[name] = Array(bytes[(lineEnd + 1)..<(lineEnd + 1 + count)])
            position = lineEnd + 1 + count + 1
        }
        return entries
    }
}
