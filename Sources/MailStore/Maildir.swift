import Foundation
import Glibc
import POSIXSupport

/// One Maildir++ folder (INBOX is the Maildir root): `tmp/`, `new/`, `cur/`, plus Dovecot's
/// `dovecot-uidlist` for UIDs (DESIGN.md "Storage: Maildir").
///
/// Every method is synchronous and may block on disk I/O and `fsync`: call it from a thread pool, never
/// from an event loop. An instance is safe to use from several threads, and several instances (also in
/// other processes, including Dovecot) may work on the same Maildir: uidlist changes are serialized by a
/// per-path lock inside this process and the `dovecot-uidlist.lock` dotlock across processes.
public final class Maildir: Sendable {
    /// The Maildir root, as given to `open` (without a trailing `/`).
    public let path: String
    private let processLock: NSLock
    private let faultHook = LockedValue<MaildirDeliveryWriter.FaultHook?>(nil)

    private var uidListPath: String { path + "/dovecot-uidlist" }

    private init(path: String) {
        self.path = path
        self.processLock = ProcessLockRegistry.lock(for: POSIX.realPath(path))
    }

    /// Opens the Maildir at `path`.
    /// - Parameter create: create the Maildir (`tmp/`, `new/`, `cur/` and any missing parents, mode 0700)
    ///   when it does not exist yet.
    /// - Throws: `MailStoreError.notAMaildir` when `create` is false and a subdirectory is missing;
    ///   `.system` when a directory cannot be created.
    public static func open(path: String, create: Bool = true) throws -> Maildir {
        let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        // An empty path or `/` would put tmp/, new/ and cur/ at the file system root: a configuration error.
        guard !root.isEmpty, root != "/" else { throw MailStoreError.notAMaildir(path: path) }
        // Opened on every login: look first, create only what is missing.
        if create, !(try isMaildir(root)) {
            var partial = root.hasPrefix("/") ? "" : "."
            for component in root.split(separator: "/") {
                partial += "/" + component
                try POSIX.makeDirectory(partial, mode: 0o700)
            }
            for directory in ["tmp", "new", "cur"] { try POSIX.makeDirectory(root + "/" + directory, mode: 0o700) }
        }
        guard try isMaildir(root) else { throw MailStoreError.notAMaildir(path: root) }
        return Maildir(path: root)
    }

    /// Whether `root` has `tmp/`, `new/` and `cur/` directories.
    private static func isMaildir(_ root: String) throws -> Bool {
        try ["tmp", "new", "cur"].allSatisfy { directory in
            guard let info = try POSIX.fileStatus(root + "/" + directory) else { return false }
            return info.st_mode & S_IFMT == S_IFDIR
        }
    }

    /// Installs a hook called between the steps of every commit on this instance; a throwing hook
    /// simulates a failure at that step. For tests only.
    func setDeliveryFaultHook(_ hook: MaildirDeliveryWriter.FaultHook?) {
        faultHook.withLock { $0 = hook }
    }

    // MARK: - Listing

    /// Brings `dovecot-uidlist` up to date with the files on disk and lists every message by UID.
    ///
    /// What it changes on disk, under the uidlist lock:
    /// - messages in `new/` move to `cur/` with an empty `:2,` info, as Dovecot does when a mailbox is opened
    ///   (they are no longer "recent" for the next session);
    /// - files that appeared get UIDs from the uidlist's next UID upward (in file name order, which is
    ///   delivery order), files that vanished drop out of the list; UIDs are never reused;
    /// - the first call on a Maildir without a uidlist creates one with UIDVALIDITY = current time;
    /// - files in `tmp/` older than 36 hours are removed; younger ones are deliveries in progress.
    ///
    /// Sizes come from `,S=`/`,W=` in the file name when present, else from the uidlist's `W` field, else
    /// from reading the file once (the result is then kept in the uidlist as a `W` field).
    /// - Throws: `MailStoreError` (`.corruptUIDList` leaves the broken file for the admin to inspect).
    public func synchronize() throws -> MaildirSnapshot {
        try withExclusiveAccess {
            _ = try MaildirSweep.removeStaleTemporaryFiles(inMaildir: path)
            try moveNewToCur()
            var files = try scanMessageFiles()
            let existing = try readUIDList()
            var list = existing ?? DovecotUIDList.fresh(uidValidity: UInt32(clamping: POSIX.now().seconds),
                                                        mailboxGUID: Self.makeGUID())
            var changed = existing == nil
            if list.mailboxGUID.isEmpty {
                list.mailboxGUID = Self.makeGUID()
                changed = true
            }
            if list.records.contains(where: { files[$0.uniqueName] == nil }) {
                // A flag rename by another client while we read the directory can hide a file for a moment;
                // look once more before taking its UID away.
                files.merge(try scanMessageFiles()) { first, _ in first }
            }
            let listed = Set(list.records.map(\.uniqueName))
            for uniqueName in MaildirFileName.inArrivalOrder(files.keys.filter { !listed.contains($0) }) {
                guard list.nextUID < UInt32.max else { throw MailStoreError.uidsExhausted(path: uidListPath) }
                list.records.append(.init(uid: list.nextUID, extensions: [], uniqueName: uniqueName))
                list.nextUID += 1
                changed = true
            }

            var kept: [DovecotUIDList.Record] = []
            var messages: [MaildirMessage] = []
            for var record in list.records {
                guard let (directory, fileName) = files[record.uniqueName],
                      let sizes = try sizes(of: &record, directory: directory, fileName: fileName) else {
                    changed = true  // vanished: drops out of the list
                    continue
                }
                changed = changed || sizes.recordChanged
                kept.append(record)
                messages.append(MaildirMessage(uid: record.uid, directory: directory, fileName: fileName,
                                               size: sizes.size, virtualSize: sizes.virtualSize,
                                               emailID: EmailID(record)))
            }
            list.records = kept
            if changed { try writeUIDList(list) }
            return MaildirSnapshot(uidValidity: list.uidValidity, nextUID: list.nextUID,
                                   mailboxGUID: list.mailboxGUID, messages: messages)
        }
    }

    // MARK: - Reading

    /// The message's bytes exactly as stored.
    ///
    /// When the file was renamed since the snapshot (another client changed its flags, or it moved from
    /// `new/` to `cur/`), it is found again by its unique name.
    /// - Throws: `MailStoreError.messageVanished` when the message is no longer in the Maildir.
    public func read(_ message: MaildirMessage) throws -> [UInt8] {
        try withCurrentPath(of: message) { try POSIX.readFile($0).bytes }
    }

    /// Runs `body` on the message's file path; where the file is not there (ENOENT: renamed by
    /// another session), finds it again by its unique name and retries. A file can be renamed
    /// again between finding and opening it: a few attempts, then give up.
    func withCurrentPath<T>(of message: MaildirMessage, _ body: (String) throws -> T) throws -> T {
        var candidate: String? = path + "/" + message.relativePath
        for _ in 0..<4 {
            guard let filePath = candidate else { break }
            do {
                return try body(filePath)
            } catch MailStoreError.system(_, _, ENOENT) {
                candidate = try locate(uniqueName: message.uniqueName)?.path
            }
        }
        throw MailStoreError.messageVanished(uid: message.uid, uniqueName: message.uniqueName, maildir: path)
    }

    // MARK: - Deleting

    /// Deletes messages for good (POP3 UPDATE state, IMAP EXPUNGE): drops them from `dovecot-uidlist`, then
    /// unlinks their files and fsyncs `cur/` and `new/`. Returns only once all of that is durable.
    /// A message already gone (deleted by another session) is not an error. Their UIDs are never reused.
    ///
    /// The uidlist goes first so that a thrown error tells the truth: if its rewrite fails, no file was
    /// touched. (A file whose unlink then fails stays, and the next `synchronize` gives it a new UID.)
    public func delete(_ messages: [MaildirMessage]) throws {
        guard !messages.isEmpty else { return }
        try withExclusiveAccess {
            if var list = try readUIDList() {
                let deleted = Set(messages.map { "\($0.uid) \($0.uniqueName)" })
                let before = list.records.count
                list.records.removeAll { deleted.contains("\($0.uid) \($0.uniqueName)") }
                if list.records.count != before { try writeUIDList(list) }
            }
            var removed = QuotaUsage.zero
            defer { MaildirQuota.record(QuotaUsage(storage: -removed.storage, messages: -removed.messages), inFolder: path) }
            for message in messages {
                // Unlink where it was; if it is not there (renamed meanwhile), find it by its unique name.
                // Found nowhere means already deleted, which is fine (and not counted again).
                var candidate: String? = path + "/" + message.relativePath
                for _ in 0..<4 {
                    guard let filePath = candidate else { break }
                    if try POSIX.unlink(filePath) {
                        removed = removed + QuotaUsage(storage: Int64(message.size), messages: 1)
                        break
                    }
                    candidate = try locate(uniqueName: message.uniqueName)?.path
                }
            }
            try POSIX.fsyncDirectory(path + "/cur")
            try POSIX.fsyncDirectory(path + "/new")
        }
    }

    // MARK: - Flags

    /// Replaces the message's standard flags by renaming its file to `cur/<unique>:2,<letters>` (keyword
    /// letters `a`–`z` are kept), then fsyncs the directories involved.
    /// - Returns: the message as it is now on disk.
    /// - Throws: `MailStoreError.messageVanished` when the message is no longer in the Maildir.
    public func setFlags(_ flags: Set<MaildirFlag>, of message: MaildirMessage) throws -> MaildirMessage {
        try setFlags(flags, keywordLetters: nil, of: message)
    }

    /// `setFlags(_:of:)` that also replaces the keyword letters, unless `keywordLetters` is nil.
    func setFlags(_ flags: Set<MaildirFlag>, keywordLetters: [Character]?, of message: MaildirMessage) throws
        -> MaildirMessage {
        var current: (directory: MaildirDirectory, fileName: String)? = (message.directory, message.fileName)
        for _ in 0..<4 {
            guard let (directory, fileName) = current else { break }
            let keywords = keywordLetters ?? MaildirFileName(fileName).keywordLetters
            let newName = MaildirFileName.format(uniqueName: message.uniqueName, flags: flags,
                                                 keywordLetters: keywords)
            do {
                if directory != .cur || fileName != newName {
                    try POSIX.rename("\(path)/\(directory.rawValue)/\(fileName)", "\(path)/cur/\(newName)")
                    try POSIX.fsyncDirectory(path + "/cur")
                    if directory == .new { try POSIX.fsyncDirectory(path + "/new") }
                }
                return MaildirMessage(uid: message.uid, directory: .cur, fileName: newName, size: message.size,
                                      virtualSize: message.virtualSize, emailID: message.emailID)
            } catch MailStoreError.system(_, _, ENOENT) {
                current = try locate(uniqueName: message.uniqueName).map { ($0.directory, $0.fileName) }
            }
        }
        throw MailStoreError.messageVanished(uid: message.uid, uniqueName: message.uniqueName, maildir: path)
    }

    // MARK: - Delivery

    /// Delivers a complete message durably into `new/` (see `MaildirDeliveryWriter`).
    /// - Returns: the file name in `new/`.
    public func deliver(_ bytes: [UInt8]) throws -> String {
        let writer = try beginDelivery()
        try writer.write(bytes)
        return try writer.commit()
    }

    /// Starts a streamed delivery: a new file in `tmp/` that `commit()` moves into `new/`.
    public func beginDelivery() throws -> MaildirDeliveryWriter {
        try MaildirDeliveryWriter(maildirPath: path, faultHook: faultHook.withLock { $0 })
    }

    // MARK: - Internals

    /// Runs `body` holding this process's lock for the Maildir and the `dovecot-uidlist.lock` dotlock.
    func withExclusiveAccess<Result>(_ body: () throws -> Result) throws -> Result {
        processLock.lock()
        defer { processLock.unlock() }
        let dotLock = try DotLock.acquire(path: uidListPath + ".lock")
        defer { dotLock.release() }
        return try body()
    }

    private func moveNewToCur() throws {
        var moved = false
        for name in try POSIX.listDirectory(path + "/new") {
            let target = name.contains(":") ? name : name + ":2,"
            do {
                try POSIX.rename("\(path)/new/\(name)", "\(path)/cur/\(target)")
                moved = true
            } catch MailStoreError.system(_, _, ENOENT) {
                continue  // moved or deleted by someone else meanwhile
            }
        }
        if moved {
            try POSIX.fsyncDirectory(path + "/cur")
            try POSIX.fsyncDirectory(path + "/new")
        }
    }

    /// Unique name -> where its file is. `new/` is read before `cur/`, so a file moving from one to the
    /// other meanwhile is seen at least once.
    private func scanMessageFiles() throws -> [String: (MaildirDirectory, String)] {
        var files: [String: (MaildirDirectory, String)] = [:]
        for directory in [MaildirDirectory.new, .cur] {
            for name in try POSIX.listDirectory(path + "/" + directory.rawValue) {
                files[MaildirFileName(name).uniqueName] = (directory, name)
            }
        }
        return files
    }

    /// Finds the current file of a message by its unique name.
    private func locate(uniqueName: String) throws -> (path: String, directory: MaildirDirectory, fileName: String)? {
        for directory in [MaildirDirectory.cur, .new] {
            let directoryPath = path + "/" + directory.rawValue
            for name in try POSIX.listDirectory(directoryPath)
            where name == uniqueName || name.hasPrefix(uniqueName + ":") {
                return (directoryPath + "/" + name, directory, name)
            }
        }
        return nil
    }

    /// Size and virtual size of a message, from the cheapest source that has them; nil if the file
    /// vanished meanwhile. Stores a computed virtual size in `record` (`recordChanged`).
    private func sizes(of record: inout DovecotUIDList.Record, directory: MaildirDirectory, fileName: String)
        throws -> (size: Int, virtualSize: Int, recordChanged: Bool)? {
        let parsed = MaildirFileName(fileName)
        let filePath = "\(path)/\(directory.rawValue)/\(fileName)"
        let knownVirtualSize = parsed.virtualSize ?? record.extensionValue("W").flatMap { Int($0) }
        if let virtualSize = knownVirtualSize {
            if let size = parsed.size ?? record.extensionValue("S").flatMap({ Int($0) }) {
                return (size, virtualSize, false)
            }
            guard let info = try POSIX.fileStatus(filePath) else { return nil }
            return (Int(info.st_size), virtualSize, false)
        }
        let bytes: [UInt8]
        do {
            bytes = try POSIX.readFile(filePath).bytes
        } catch MailStoreError.system(_, _, ENOENT) {
            return nil
        }
        let virtualSize = MessageSizeCounter.virtualSize(of: bytes)
        record.setExtension("W", String(virtualSize))
        return (bytes.count, virtualSize, true)
    }

    /// The stamp of `dovecot-uidlist`, nil when there is none.
    func uidListStamp() throws -> FileStamp? {
        try POSIX.fileStatus(uidListPath).map(FileStamp.init)
    }

    func readUIDList() throws -> DovecotUIDList? {
        let bytes: [UInt8]
        do {
            bytes = try POSIX.readFile(uidListPath).bytes
        } catch MailStoreError.system(_, _, ENOENT) {
            return nil
        }
        return try DovecotUIDList(parsing: String(decoding: bytes, as: UTF8.self), path: uidListPath)
    }

    /// Replaces `dovecot-uidlist` atomically and durably: temp file, fsync, rename, fsync the Maildir.
    /// Called with the uidlist lock held, so the fixed temp name cannot clash.
    func writeUIDList(_ list: DovecotUIDList) throws {
        try DurableFile.replace(uidListPath, with: list.serialized(), directory: path)
    }

    /// Saves a list read from the file to which records were only added (APPEND, COPY): the new
    /// lines are appended and fsynced, as Dovecot does, instead of rewriting a file that holds
    /// every message of the mailbox. The header's next UID then lags; readers take the larger of
    /// it and the last UID + 1 (Dovecot too). Anything else is rewritten whole.
    func saveUIDList(addingTo list: DovecotUIDList) throws {
        guard let onDisk = list.recordsOnDisk, onDisk > 0, list.records.count > onDisk else {
            return try writeUIDList(list)
        }
        let fd = try POSIX.open(uidListPath, O_WRONLY | O_APPEND)
        defer { POSIX.close(fd) }
        let text = DovecotUIDList.lines(list.records[onDisk...])
        try Array(text.utf8).withUnsafeBytes { try POSIX.writeAll(fd, $0, path: uidListPath) }
        try POSIX.fsync(fd, path: uidListPath)
    }

    /// A random 128-bit mailbox GUID in hex, as Dovecot writes in the uidlist header.
    static func makeGUID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}
