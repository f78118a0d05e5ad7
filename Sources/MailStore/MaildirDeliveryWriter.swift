import Glibc
import POSIXSupport

/// One delivery into a Maildir, streamed: bytes go to a file in `tmp/` as they arrive and are never held
/// whole in memory. `commit()` makes the message durable and visible in `new/`; `abort()` (or dropping the
/// writer uncommitted) removes it.
///
/// Maildir delivery (https://cr.yp.to/proto/maildir.html and DESIGN.md "Storage: Maildir"): write into
/// `tmp/<unique>`, `fsync`, `rename` to `new/<unique>,S=<size>,W=<vsize>`, `fsync` `new/`. A failure at
/// any step removes the temporary file and leaves nothing in `new/` or `cur/`.
///
/// The writer is `Sendable` so SMTP can hand it from one thread-pool job to the next; calls are serialized
/// internally, and it is meant to be used by one delivery at a time.
public final class MaildirDeliveryWriter: Sendable {
    /// The points of `commit()` where an injected fault may strike (tests only).
    enum Step: Sendable {
        /// Every byte is written to the temporary file, not yet fsynced.
        case written
        /// The temporary file is fsynced and closed; next comes the rename into `new/`.
        case synced
        /// The file is in `new/`; next comes the fsync of `new/`.
        case renamed
    }

    typealias FaultHook = @Sendable (Step) throws -> Void

    /// The path of the file in `tmp/`.
    public let temporaryPath: String
    private let maildirPath: String
    private let uniqueName: String
    private let faultHook: FaultHook?
    private let file: LockedValue<StreamingMessageFile<MailStoreError>>

    init(maildirPath: String, faultHook: FaultHook?) throws {
        let (file, name) = try MaildirTemporaryFile.create(inMaildir: maildirPath)
        self.temporaryPath = file.path
        self.maildirPath = maildirPath
        self.uniqueName = name
        self.faultHook = faultHook
        self.file = LockedValue(file)
    }

    deinit {
        abort()
    }

    /// Appends bytes to the message.
    /// - Throws: `MailStoreError` when the disk write fails (the delivery is then aborted) or the
    ///   delivery was already committed or aborted.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try file.withLock { file in
            guard file.isOpen else { throw MailStoreError.deliveryFinished(temporaryPath: temporaryPath) }
            try file.append(bytes)
        }
    }

    /// Makes the message durable and visible: fsync, rename into `new/`, fsync `new/`.
    /// Returns only once all of that is on disk.
    /// - Returns: the file name in `new/` (`<unique>,S=<size>,W=<virtual size>`).
    /// - Throws: `MailStoreError`; then nothing of the message is left in `tmp/`, `new/` or `cur/`.
    public func commit() throws -> String {
        try file.withLock { file in
            guard file.isOpen else { throw MailStoreError.deliveryFinished(temporaryPath: temporaryPath) }
            do {
                try file.flush()
                try faultHook?(.written)
                try file.sync()
                try faultHook?(.synced)
                file.close()
            } catch {
                file.discard()
                throw error
            }
            let finalName = MaildirUniqueName.withSizes(
                uniqueName, size: file.sizes.size, virtualSize: file.sizes.virtualSize)
            let newDirectory = maildirPath + "/new"
            let finalPath = newDirectory + "/" + finalName
            do {
                try POSIX.rename(temporaryPath, finalPath)
            } catch {
                _ = try? POSIX.unlink(temporaryPath)
                throw error
            }
            do {
                try faultHook?(.renamed)
                try POSIX.fsyncDirectory(newDirectory)
            } catch {
                // Not durable, so not accepted: take it back out of new/ before anyone lists it as delivered.
                _ = try? POSIX.unlink(finalPath)
                _ = try? POSIX.fsyncDirectory(newDirectory)
                throw error
            }
            return finalName
        }
    }

    /// Abandons the delivery: closes and removes the temporary file. Does nothing after `commit()` or a
    /// previous `abort()`.
    public func abort() {
        file.withLock { $0.discard() }
    }
}
