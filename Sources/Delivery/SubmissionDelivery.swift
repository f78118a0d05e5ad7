import Glibc
public import MailStore
import Synchronization
import POSIXSupport

/// The sink behind SMTP submission: takes an accepted message once, and on commit places it durably in
/// every local recipient's Maildir and, for remote recipients, in the outbound `Spool`.
///
/// Usage, from a thread pool (every call blocks on file I/O and fsync):
/// `let transaction = try delivery.begin(envelope)`, then `transaction.write(chunk)` as DATA arrives,
/// then `let id = try transaction.commit()` before answering `250`, or `transaction.abort()`.
///
/// Durability (DESIGN.md "Accepted mail is never lost"): `commit()` returns only when the message is on disk
/// everywhere it goes; if it throws, nothing of the message is visible anywhere, so a `4xx` reply never
/// leaves half a delivery. Concurrent commits to the same directory share its fsync (`DirectorySync`, issue
/// 11); each still returns only after an fsync that started after its own entries.
public final class SubmissionDelivery: Sendable {
    /// The data directory; messages are received into `<dataDirectory>/queue/tmp/`.
    public let dataDirectory: String
    /// Maps users to their Maildir (used by `localRecipient(_:home:)`).
    public let locator: MaildirLocator
    /// The outbound queue for remote recipients. Best on the same file system as `dataDirectory`, so the
    /// message is hard-linked rather than copied.
    public let spool: Spool
    private let faultHook: CommitFaultHook?
    /// The directory fsyncs every transaction of this delivery shares.
    let directorySync: DirectorySync
    /// Maildirs already opened (created, path resolved): later deliveries only check that their
    /// `tmp/` still exists instead of a mkdir and readlink per path component.
    private let openedMaildirs = Mutex<[String: String]>([:])
    private let metrics = DeliveryMetrics()

    /// - Parameters:
    ///   - dataDirectory: the server's `data_dir`; `queue/tmp/` under it is created if missing.
    ///   - locator: maps a user to their Maildir path.
    ///   - spool: the outbound queue.
    /// - Throws: `DeliveryError.system` when `queue/tmp/` cannot be created.
    public convenience init(dataDirectory: String, locator: MaildirLocator, spool: Spool) throws {
        try self.init(dataDirectory: dataDirectory, locator: locator, spool: spool, faultHook: nil)
    }

    /// As the public initializer, with a hook called at every commit step (tests inject failures with it).
    init(dataDirectory: String, locator: MaildirLocator, spool: Spool, faultHook: CommitFaultHook?) throws {
        self.dataDirectory = dataDirectory.count > 1 && dataDirectory.hasSuffix("/")
            ? String(dataDirectory.dropLast()) : dataDirectory
        self.locator = locator
        self.spool = spool
        self.faultHook = faultHook
        self.directorySync = DirectorySync(faultHook: faultHook)
        try FileSystem.makeDirectory(self.dataDirectory + "/queue")
        try FileSystem.makeDirectory(temporaryDirectory)
    }

    private var temporaryDirectory: String { dataDirectory + "/queue/tmp" }

    /// The local recipient `address` of `user`, delivered to the Maildir `locator` gives for them.
    /// - Parameter home: the user's home directory from the user database, if any.
    /// - Throws: `MailStoreError.invalidUserName` for a user name that cannot be a directory.
    public func localRecipient(_ address: String, user: String, home: String? = nil) throws -> LocalRecipient {
        LocalRecipient(address: address, maildirPath: try locator.path(forUser: user, home: home))
    }

    /// Starts receiving a message for `envelope`: creates every local recipient's Maildir if missing and the
    /// temporary file in `queue/tmp/`, named after the new queue id.
    /// - Throws: `DeliveryError.noRecipients`; `MailStoreError` when a Maildir cannot be created;
    ///   `DeliveryError.system` when the temporary file cannot be created.
    public func begin(_ envelope: DeliveryEnvelope) throws -> DeliveryTransaction {
        guard !envelope.localRecipients.isEmpty || !envelope.remoteRecipients.isEmpty else {
            throw DeliveryError.noRecipients
        }
        var maildirs: [String] = []
        var canonical: [String: String] = [:]
        for recipient in envelope.localRecipients {
            let path = try openMaildir(recipient.maildirPath)
            canonical[recipient.maildirPath] = path
            if !maildirs.contains(path) { maildirs.append(path) }
        }
        var attempt = 0
        while true {
            let id = Self.makeQueueID()
            let path = temporaryDirectory + "/" + id
            do {
                let file = try StreamingMessageFile<DeliveryError>(creatingAt: path)
                let spoolEnvelope = envelope.remoteRecipients.isEmpty ? nil : SpoolEnvelope(id: id, envelope: envelope)
                return DeliveryTransaction(
                    queueID: id, file: file, maildirs: maildirs, canonicalMaildirs: canonical, spoolEnvelope: spoolEnvelope,
                    spool: spool, directorySync: directorySync, faultHook: faultHook, metrics: metrics)
            } catch DeliveryError.system(_, _, EEXIST) where attempt < 10 {
                attempt += 1
            }
        }
    }

    /// The canonical path of the Maildir at `path`, created if missing.
    private func openMaildir(_ path: String) throws -> String {
        if let opened = openedMaildirs.withLock({ $0[path] }), (try? FileSystem.fileStatus(opened + "/tmp")) != nil {
            return opened
        }
        let opened = try Maildir.open(path: path, create: true).path
        openedMaildirs.withLock { $0[path] = opened }
        return opened
    }

    /// A queue id: 9 hex digits of seconds, 5 of microseconds, 5 random, so ids sort by arrival and two
    /// processes practically never pick the same one (the `O_EXCL` create catches it if they do).
    static func makeQueueID() -> String {
        func hex(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let (seconds, microseconds) = FileSystem.now()
        return hex(seconds, width: 9) + hex(microseconds, width: 5) + hex(Int.random(in: 0..<(1 << 20)), width: 5)
    }
}
