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

    var temporaryDirectory: String { directory + "/tmp" }
    var messagesDirectory: String { directory + "/messages" }
    var envelopesDirectory: String { directory + "/envelopes" }

    /// Opens the queue under `dataDirectory`, creating `queue/tmp`, `queue/messages` and `queue/envelopes`
    /// (mode 0700, and any missing parents) if needed.
    /// - Throws: `DeliveryError.system` when a directory cannot be created.
    public init(dataDirectory: String) throws {
        let base = dataDirectory.count > 1 && dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        directory = base + "/queue"
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
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        var entries: [SpoolEntry] = []
        for name in try FileSystem.listDirectory(envelopesDirectory) where name.hasSuffix(".json") {
            let id = String(name.dropLast(".json".count))
            let messagePath = messagePath(id: id)
            guard Self.isValidID(id), try FileSystem.fileStatus(messagePath) != nil else { continue }
            let path = envelopesDirectory + "/" + name
            let envelope: SpoolEnvelope
            do {
                envelope = try decoder.decode(SpoolEnvelope.self, from: Data(try FileSystem.readFile(path).bytes))
            } catch let error as DeliveryError {
                // Removed between listing and reading: no longer an entry.
                if case .system(_, _, ENOENT) = error { continue }
                throw error
            } catch {
                throw DeliveryError.corruptEnvelope(path: path, reason: "\(error)")
            }
            guard envelope.id == id else {
                throw DeliveryError.corruptEnvelope(path: path, reason: "it names queue id \(envelope.id)")
            }
            entries.append(SpoolEntry(envelope: envelope, messagePath: messagePath))
        }
        return entries.sorted { ($0.envelope.arrival, $0.id) < ($1.envelope.arrival, $1.id) }
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
    func add(messageAt temporaryPath: String, envelope: SpoolEnvelope, checkpoint: CommitFaultHook?) throws {
        let id = envelope.id
        guard Self.isValidID(id) else { throw DeliveryError.invalidQueueID(id) }
        let messagePath = messagePath(id: id)
        let envelopeTemporary = temporaryDirectory + "/" + id + ".json"
        var linked = false
        do {
            try FileSystem.linkOrCopy(temporaryPath, messagePath)
            linked = true
            try FileSystem.fsyncDirectory(messagesDirectory)
            try checkpoint?(.spoolMessageLinked)

            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let json = try encoder.encode(envelope) + Data("\n".utf8)
            let fd = try FileSystem.open(envelopeTemporary, O_WRONLY | O_CREAT | O_EXCL)
            defer { FileSystem.close(fd) }
            try json.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: envelopeTemporary) }
            try FileSystem.fsync(fd, path: envelopeTemporary)
            try checkpoint?(.spoolEnvelopeWritten)

            try FileSystem.rename(envelopeTemporary, envelopePath(id: id))
            try FileSystem.fsyncDirectory(envelopesDirectory)
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

    /// A queue id names files: it must be non-empty, must not start with `.`, and must not contain `/` or NUL.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && !id.hasPrefix(".") && !id.contains("/") && !id.contains("\0")
    }
}
