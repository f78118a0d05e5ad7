import MailStore
import Synchronization
import POSIXSupport

/// One message being received by `SubmissionDelivery`: the bytes stream into a single file in
/// `queue/tmp/` (never held whole in memory), then `commit()` places it everywhere at once or nowhere.
///
/// `Sendable` so SMTP can hand it from one thread-pool job to the next; calls are serialized internally.
/// Dropping an uncommitted transaction aborts it.
public final class DeliveryTransaction: Sendable {
    /// The queue id, known from the start (for logs and the `250` reply).
    public let queueID: String
    /// The file in `queue/tmp/` the message is written to.
    public let temporaryPath: String

    private let maildirs: [String]
    /// `LocalRecipient.maildirPath` → the entry of `maildirs` it was opened as.
    private let canonicalMaildirs: [String: String]
    private let spoolEnvelope: SpoolEnvelope?
    private let spool: Spool
    private let directorySync: DirectorySync
    private let faultHook: CommitFaultHook?
    private let metrics: DeliveryMetrics

    /// The message file in `queue/tmp/`; closed and removed once committed, failed or aborted.
    private let file: Mutex<StreamingMessageFile<DeliveryError>>

    init(
        queueID: String, file: StreamingMessageFile<DeliveryError>, maildirs: [String], canonicalMaildirs: [String: String] = [:],
        spoolEnvelope: SpoolEnvelope?, spool: Spool, directorySync: DirectorySync, faultHook: CommitFaultHook?,
        metrics: DeliveryMetrics
    ) {
        self.queueID = queueID
        self.temporaryPath = file.path
        self.maildirs = maildirs
        self.canonicalMaildirs = canonicalMaildirs
        self.spoolEnvelope = spoolEnvelope
        self.spool = spool
        self.directorySync = directorySync
        self.faultHook = faultHook
        self.metrics = metrics
        self.file = Mutex(file)
    }

    deinit {
        abort()
    }

    /// Appends bytes to the message.
    /// - Throws: `DeliveryError.system` when the disk write fails (the transaction is then aborted), or
    ///   `.transactionFinished` after `commit()`, a failure or `abort()`.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try file.withLock { file in
            guard file.isOpen else { throw DeliveryError.transactionFinished(queueID: queueID) }
            try file.append(bytes)
        }
    }

    /// Makes the message durable everywhere it goes, then returns its queue id:
    /// 1. fdatasync the temporary file;
    /// 2. for each local Maildir: hard-link it into `tmp/` (a copy across file systems), rename into
    ///    `new/<unique>,S=<size>,W=<virtual size>`; then fsync every touched `new/`;
    /// 3. with remote recipients: add the spool entry (message, then envelope, each durable);
    /// 4. remove the temporary file.
    ///
    /// The directory fsyncs of steps 2 and 3 go through the delivery's `DirectorySync`: concurrent commits
    /// to the same directory share one fsync that started after their own entries (issue 11).
    ///
    /// - Throws: `DeliveryError` (`.system` naming the call and file that failed, `.transactionFinished`);
    ///   then every file this commit made visible is removed again (and the removal fsynced), the temporary
    ///   file too, and the transaction is finished.
    public func commit() throws -> String {
        try commit(skipping: [])
    }

    /// `commit()`, leaving out the local Maildirs in `skipped` (`LocalRecipient.maildirPath` values: the
    /// recipients whose mailbox is full, who are reported to the sender instead).
    public func commit(skipping skipped: Set<String>) throws -> String {
        let excluded = Set(skipped.compactMap { canonicalMaildirs[$0] })
        let maildirs = self.maildirs.filter { !excluded.contains($0) }
        return try file.withLock { file in
            guard file.isOpen else { throw DeliveryError.transactionFinished(queueID: queueID) }
            var placed: [String] = []  // files in Maildir tmp/ or new/ to remove on failure
            var spooled = false
            var size = 0
            do {
                try file.flush()
                try file.dataSync()
                try faultHook?(.synced)
                let info = try file.status()
                let unique = MaildirUniqueName.make(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                size = file.sizes.size
                let finalName = MaildirUniqueName.withSizes(
                    unique, size: file.sizes.size, virtualSize: file.sizes.virtualSize)
                for (index, maildir) in maildirs.enumerated() {
                    let temporary = maildir + "/tmp/" + unique
                    try FileSystem.linkOrCopy(temporaryPath, temporary)
                    placed.append(temporary)
                    try faultHook?(.linkedIntoMaildir(index: index))
                    let final = maildir + "/new/" + finalName
                    try FileSystem.rename(temporary, final)
                    placed[placed.count - 1] = final
                    try faultHook?(.renamedIntoNew(index: index))
                }
                try directorySync.sync(maildirs.map { $0 + "/new" })
                try faultHook?(.maildirsSynced)
                if let spoolEnvelope {
                    try spool.add(
                        messageAt: temporaryPath, envelope: spoolEnvelope, directorySync: directorySync, checkpoint: faultHook)
                    spooled = true
                    try faultHook?(.spooled)
                }
            } catch {
                undo(placed: placed, spooled: spooled)
                file.discard()
                throw error
            }
            file.discard()
            for maildir in maildirs { MaildirQuota.record(QuotaUsage(storage: Int64(size), messages: 1), inFolder: maildir) }
            if !maildirs.isEmpty { metrics.deliveredLocally.increment(by: maildirs.count) }
            return queueID
        }
    }

    /// Abandons the message: closes and removes the temporary file. Does nothing once finished.
    public func abort() {
        file.withLock { $0.discard() }
    }

    /// Takes back what a failed commit made visible, durably (best effort: the original error is what counts).
    private func undo(placed: [String], spooled: Bool) {
        for path in placed { Self.takeBack(path) }
        if spooled { _ = try? spool.remove(id: queueID) }
    }

    /// Removes the file this commit placed at `path` (`<maildir>/tmp/<name>` or `<maildir>/new/<name>`) wherever
    /// it is now, then fsyncs the directory it was removed from. A POP3/IMAP session synchronizing the Maildir
    /// may already have moved `new/<name>` to `cur/<name>:2,<flags>` (and renamed it again for a flag change),
    /// so it is looked for by name in `new/` and `cur/` with any info suffix, a few times.
    private static func takeBack(_ path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let directory = String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        var candidate: String? = path
        for _ in 0..<4 {
            guard let current = candidate else { return }
            if (try? FileSystem.unlink(current)) == true {
                if let end = current.lastIndex(of: "/") { _ = try? FileSystem.fsyncDirectory(String(current[..<end])) }
                return
            }
            guard directory.hasSuffix("/new") else { return }  // tmp/ files are never moved by others
            let maildir = String(directory.dropLast("/new".count))
            candidate = ["/new/", "/cur/"].lazy.compactMap { subdirectory -> String? in
                let names = (try? FileSystem.listDirectory(maildir + subdirectory)) ?? []
                return names.first { $0 == name || $0.hasPrefix(name + ":") }.map { maildir + subdirectory + $0 }
            }.first
        }
    }
}
