import Foundation
import Glibc
import POSIXSupport

/// The outbound queue on disk, under `<data_dir>/queue/`:
///
/// - `tmp/`: message files while they are received, and envelope files while they are written;
/// - `messages/<id>`: the message, exactly as submitted;
/// - `envelopes/<id>.json`: its `SpoolEnvelope`.
///
/// An entry exists once its envelope is in `envelopes/`, and the envelope is placed last (written in `tmp/`,
/// fsynced, renamed, directory fsynced) after the message is durable in `messages/`. So a crash at any moment
/// leaves either a complete entry or none: a message without an envelope is an orphan that `entries()`
/// ignores. Removal goes the other way round (envelope first). Blocking file I/O: call from a thread pool.
public final class Spool: Sendable {
    /// The queue directory, `<data_dir>/queue`.
    public let directory: String

    /// The queue directory of `dataDirectory`, without creating anything.
    public static func directory(dataDirectory: String) -> String {
        let base = dataDirectory.count > 1 && dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        return base + "/queue"
    }

    var temporaryDirectory: String { directory + "/tmp" }
    var messagesDirectory: String { directory + "/messages" }
    var envelopesDirectory: String { directory + "/envelopes" }

    /// Opens the queue under `dataDirectory`, creating `queue/tmp`, `queue/messages` and `queue/envelopes`
    /// (mode 0700, and any missing parents) if needed.
    /// - Throws: `DeliveryError.system` when a directory cannot be created.
    public init(dataDirectory: String) throws {
        directory = Self.directory(dataDirectory: dataDirectory)
        var partial = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            partial += "/" + component
            try FileSystem.makeDirectory(partial)
        }
        for subdirectory in [temporaryDirectory, messagesDirectory, envelopesDirectory] {
            try FileSystem.makeDirectory(subdirectory)
        }
    }

    /// Removes every file in `queue/tmp/` last modified before `cutoff`: messages being received and envelopes
    /// being written when an earlier run crashed (a finished or failed transaction leaves nothing there).
    /// Call it at start-up with a time before this process accepted any mail, so no transaction of its own
    /// can be in flight. Returns how many files were removed.
    /// - Throws: `DeliveryError.system` when the directory cannot be read or a file not removed.
    public func removeTemporaryFiles(modifiedBefore cutoff: timespec) throws -> Int {
        var removed = 0
        for name in try FileSystem.listDirectory(temporaryDirectory) {
            let path = temporaryDirectory + "/" + name
            guard let info = try FileSystem.fileStatus(path), info.st_mode & S_IFMT == S_IFREG else { continue }
            let modified = info.st_mtim
            let older = modified.tv_sec < cutoff.tv_sec || (modified.tv_sec == cutoff.tv_sec && modified.tv_nsec < cutoff.tv_nsec)
            if older, try FileSystem.unlink(path) { removed += 1 }
        }
        if removed > 0 { try FileSystem.fsyncDirectory(temporaryDirectory) }
        return removed
    }

    /// The complete entries, oldest arrival first (ties by id). Messages without an envelope are ignored.
    /// - Throws: `DeliveryError.corruptEnvelope` naming the first envelope that cannot be decoded (it is left
    ///   for the admin), `.system` when a directory cannot be read.
    public func entries() throws -> [SpoolEntry] {
        var entries: [SpoolEntry] = []
        for name in try FileSystem.listDirectory(envelopesDirectory) where name.hasSuffix(".json") {
            if let entry = try entry(id: String(name.dropLast(".json".count))) { entries.append(entry) }
        }
        return entries.sorted { ($0.envelope.arrival, $0.id) < ($1.envelope.arrival, $1.id) }
    }

    /// The complete entry `id`, or nil when there is none (or only an orphan message).
    /// - Throws: `DeliveryError.corruptEnvelope` when its envelope cannot be decoded, `.system` when it cannot be read.
    public func entry(id: String) throws -> SpoolEntry? {
        let messagePath = messagePath(id: id)
        guard Self.isValidID(id), try FileSystem.fileStatus(messagePath) != nil else { return nil }
        let path = envelopePath(id: id)
        let envelope: SpoolEnvelope
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            decoder.dateDecodingStrategy = .iso8601
            envelope = try decoder.decode(SpoolEnvelope.self, from: Data(try FileSystem.readFile(path).bytes))
        } catch let error as DeliveryError {
            // Removed between listing and reading: no longer an entry.
            if case .system(_, _, ENOENT) = error { return nil }
            throw error
        } catch {
            throw DeliveryError.corruptEnvelope(path: path, reason: "\(error)")
        }
        guard envelope.id == id else {
            throw DeliveryError.corruptEnvelope(path: path, reason: "it names queue id \(envelope.id)")
        }
        return SpoolEntry(envelope: envelope, messagePath: messagePath)
    }

    /// Replaces the envelope of an existing entry atomically (written in `tmp/`, fsynced, renamed over the
    /// old one, directory fsynced): a crash leaves the old state or the new one. Call it while holding the
    /// entry's lock (`lock(id:wait:)`). Returns the new envelope's stamp (as `envelopeStamps` gives it).
    /// - Throws: `DeliveryError.invalidQueueID`, or `.system` when the file cannot be written.
    @discardableResult
    public func update(_ envelope: SpoolEnvelope) throws -> Double {
        guard Self.isValidID(envelope.id) else { throw DeliveryError.invalidQueueID(envelope.id) }
        try FileSystem.replaceDurably(
            envelopePath(id: envelope.id), with: try Self.encoded(envelope), directory: envelopesDirectory,
            temporaryPath: temporaryDirectory + "/" + envelope.id + ".json")
        guard let info = try FileSystem.fileStatus(envelopePath(id: envelope.id)) else { return 0 }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    /// Takes the entry's lock (an exclusive `flock` on its message file, which is never replaced), so the
    /// queue runner and `loft queue` never change one entry at once. Returns nil when the entry does not
    /// exist, or, with `wait` false, when someone else holds the lock.
    /// - Throws: `DeliveryError.invalidQueueID`, `.corruptEnvelope`, or `.system`.
    public func lock(id: String, wait: Bool) throws -> SpoolEntryLock? {
        guard Self.isValidID(id) else { throw DeliveryError.invalidQueueID(id) }
        let fd: Int32
        do {
            fd = try FileSystem.open(messagePath(id: id), O_RDONLY | O_CLOEXEC)
        } catch DeliveryError.system(_, _, ENOENT) {
            return nil
        }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            let code = errno
            if code == EINTR { continue }
            FileSystem.close(fd)
            if code == EWOULDBLOCK { return nil }
            throw FileSystem.error("flock", messagePath(id: id), code)
        }
        do {
            guard let entry = try entry(id: id) else {
                FileSystem.close(fd)
                return nil
            }
            return SpoolEntryLock(entry: entry, descriptor: fd)
        } catch {
            FileSystem.close(fd)
            throw error
        }
    }

    /// The ids of the entries whose envelope exists, with the envelope's modification time (seconds since
    /// 1970), so a scan rereads only what changed.
    public func envelopeStamps() throws -> [String: Double] {
        var stamps: [String: Double] = [:]
        for name in try FileSystem.listDirectory(envelopesDirectory) where name.hasSuffix(".json") {
            let id = String(name.dropLast(".json".count))
            guard Self.isValidID(id), let info = try FileSystem.fileStatus(envelopesDirectory + "/" + name) else { continue }
            stamps[id] = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        }
        return stamps
    }

    /// Removes the entry `id` durably: envelope first (so the entry is gone at once), then the message.
    /// Removing an entry that does not exist is not an error.
    /// - Throws: `DeliveryError.invalidQueueID`, or `.system` when a file cannot be removed.
    public func remove(id: String) throws {
        guard Self.isValidID(id) else { throw DeliveryError.invalidQueueID(id) }
        try FileSystem.unlink(envelopePath(id: id))
        try FileSystem.fsyncDirectory(envelopesDirectory)
        try FileSystem.unlink(messagePath(id: id))
        try FileSystem.fsyncDirectory(messagesDirectory)
    }

    /// The path of the message file of entry `id`.
    public func messagePath(id: String) -> String { messagesDirectory + "/" + id }

    func envelopePath(id: String) -> String { envelopesDirectory + "/" + id + ".json" }

    /// Adds an entry for the durable (fsynced) file at `temporaryPath`, which must be on the queue's file
    /// system; the file itself stays where it is. On failure nothing of the entry is left.
    /// - Parameter directorySync: shares the directory fsyncs with concurrent transactions; nil syncs alone.
    func add(
        messageAt temporaryPath: String, envelope: SpoolEnvelope, directorySync: DirectorySync? = nil,
        checkpoint: CommitFaultHook?
    ) throws {
        let directorySync = directorySync ?? DirectorySync()
        let id = envelope.id
        guard Self.isValidID(id) else { throw DeliveryError.invalidQueueID(id) }
        let messagePath = messagePath(id: id)
        let envelopeTemporary = temporaryDirectory + "/" + id + ".json"
        var linked = false
        do {
            try FileSystem.linkOrCopy(temporaryPath, messagePath)
            linked = true
            try directorySync.sync([messagesDirectory])
            try checkpoint?(.spoolMessageLinked)

            try writeEnvelope(envelope, to: envelopeTemporary)
            try checkpoint?(.spoolEnvelopeWritten)

            try FileSystem.rename(envelopeTemporary, envelopePath(id: id))
            try directorySync.sync([envelopesDirectory])
        } catch {
            _ = try? FileSystem.unlink(envelopeTemporary)
            if (try? FileSystem.unlink(envelopePath(id: id))) == true {
                _ = try? FileSystem.fsyncDirectory(envelopesDirectory)
            }
            if linked {
                _ = try? FileSystem.unlink(messagePath)
                _ = try? FileSystem.fsyncDirectory(messagesDirectory)
            }
            throw error
        }
    }

    /// Writes `envelope` as JSON to a new file at `path` and makes its data durable.
    private func writeEnvelope(_ envelope: SpoolEnvelope, to path: String) throws {
        let json = try Self.encoded(envelope)
        let fd = try FileSystem.open(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { FileSystem.close(fd) }
        try json.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: path) }
        try FileSystem.dataSync(fd, path: path)
    }

    /// The envelope file's content: JSON with snake_case keys, ISO 8601 times, sorted keys.
    private static func encoded(_ envelope: SpoolEnvelope) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(envelope) + Data("\n".utf8)
    }

    /// A queue id names files: it must be non-empty, must not start with `.`, and must not contain `/` or NUL.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && !id.hasPrefix(".") && !id.contains("/") && !id.contains("\0")
    }
}
