import Glibc
import POSIXSupport
import Synchronization

/// One IMAP APPEND, streamed: bytes go to a file in `tmp/` as they arrive, never held whole in memory.
/// `commit` makes it durable, places it in `cur/` with its flags, gives it a UID and publishes it;
/// `abort` (or dropping it uncommitted) removes the file. Blocking: use it from a thread pool, one call
/// at a time (calls are serialised internally, so it may move between pool threads).
public final class MailboxAppend: Sendable {
    private let mailbox: SharedMailbox
    private let flags: MessageFlags
    private let keywordBits: UInt32
    private let internalDate: Int64?
    private let uniqueName: String
    private let file: Mutex<StreamingMessageFile<MailStoreError>?>

    init(mailbox: SharedMailbox, flags: MessageFlags, keywordBits: UInt32, internalDate: Int64?) throws {
        self.mailbox = mailbox
        self.flags = flags
        self.keywordBits = keywordBits
        self.internalDate = internalDate
        var attempt = 0
        while true {
            let name = MaildirUniqueName.makeSequential()
            do {
                let file = try StreamingMessageFile<MailStoreError>(creatingAt: mailbox.path + "/tmp/" + name)
                self.uniqueName = name
                self.file = Mutex(file)
                return
            } catch MailStoreError.system(_, _, EEXIST) where attempt < 10 {
                attempt += 1
            }
        }
    }

    deinit {
        abort()
    }

    /// Appends bytes to the message.
    /// - Throws: `MailStoreError` when the write fails (the append is then aborted) or after commit/abort.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try file.withLock { file in
            guard file != nil else { throw MailStoreError.deliveryFinished(temporaryPath: mailbox.path + "/tmp/" + uniqueName) }
            do {
                try file!.append(bytes)
            } catch {
                file = nil  // append discarded it
                throw error
            }
        }
    }

    /// Durable (file fsynced, renamed into `cur/`, directory fsynced, UID in `dovecot-uidlist`), UID
    /// assigned, change published. Returns the new UID.
    public func commit(origin: UInt64?) throws -> UInt32 {
        let (temporaryPath, sizes, modified) = try file.withLock { slot in
            guard var file = slot else {
                throw MailStoreError.deliveryFinished(temporaryPath: mailbox.path + "/tmp/" + uniqueName)
            }
            slot = nil
            do {
                try file.flush()
                if let internalDate { try ModificationTime.set(file.path, seconds: internalDate) }
                let info = try file.status()
                try file.sync()  // after utimensat: the mtime is durable too
                file.close()
                return (file.path, file.sizes, Int64(info.st_mtim.tv_sec))
            } catch {
                file.discard()
                throw error
            }
        }
        do {
            return try mailbox.commitAppend(temporaryPath: temporaryPath, uniqueName: uniqueName, sizes: sizes,
                                            flags: flags, keywordBits: keywordBits, internalDate: modified,
                                            origin: origin)
        } catch {
            _ = try? POSIX.unlink(temporaryPath)
            throw error
        }
    }

    /// Abandons the append and removes its file; nothing after commit or a previous abort.
    public func abort() {
        file.withLock { slot in
            slot?.discard()
            slot = nil
        }
    }
}
