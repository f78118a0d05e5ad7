import Glibc
import POSIXSupport
import Synchronization

/// One IMAP APPEND, streamed: bytes go to a file in `tmp/` as they arrive, never held whole in memory.
/// `commit` makes it durable, places it in `cur/` with its flags, gives it a UID and publishes it;
/// `abort` (or dropping it uncommitted) removes the file. For MULTIAPPEND (RFC 3502) each message is
/// `stage`d (durable in `tmp/`, its descriptor closed) as soon as it is complete, and
/// `SharedMailbox.commitAppends` then places them all at once. Blocking: use it from a thread pool, one
/// call at a time (calls are serialised internally, so it may move between pool threads).
public final class MailboxAppend: Sendable {
    /// A complete message, fsynced in `tmp/` and closed, waiting to be committed.
    struct Staged: Sendable {
        var temporaryPath: String
        var uniqueName: String
        var sizes: MessageSizeCounter
        var flags: MessageFlags
        var keywordBits: UInt32
        /// The file's mtime, which is the internal date.
        var internalDate: Int64
    }

    private enum Stage: Sendable {
        case writing(StreamingMessageFile<MailStoreError>)
        case staged(Staged)
        /// Committed, aborted, or failed.
        case finished
    }

    let mailbox: SharedMailbox
    private let flags: MessageFlags
    private let keywordBits: UInt32
    private let internalDate: Int64?
    private let uniqueName: String
    private let progress: Mutex<Stage>

    init(mailbox: SharedMailbox, flags: MessageFlags, keywordBits: UInt32, internalDate: Int64?) throws {
        self.mailbox = mailbox
        self.flags = flags
        self.keywordBits = keywordBits
        self.internalDate = internalDate
        let (file, name) = try MaildirTemporaryFile.create(inMaildir: mailbox.path)
        self.uniqueName = name
        self.progress = Mutex(.writing(file))
    }

    deinit {
        abort()
    }

    private var temporaryPath: String { mailbox.path + "/tmp/" + uniqueName }

    /// Appends bytes to the message.
    /// - Throws: `MailStoreError` when the write fails (the append is then aborted) or after stage/commit/abort.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try progress.withLock { stage in
            guard case .writing(var file) = stage else { throw MailStoreError.deliveryFinished(temporaryPath: temporaryPath) }
            do {
                try file.append(bytes)
                stage = .writing(file)
            } catch {
                stage = .finished  // append discarded it
                throw error
            }
        }
    }

    /// The message is complete: written out, its internal date set, fsynced, and its descriptor
    /// closed; it stays invisible in `tmp/` until committed. Does nothing when already staged.
    public func stage() throws {
        _ = try staged()
    }

    func staged() throws -> Staged {
        try progress.withLock { stage in
            switch stage {
            case .staged(let staged):
                return staged
            case .finished:
                throw MailStoreError.deliveryFinished(temporaryPath: temporaryPath)
            case .writing(var file):
                do {
                    try file.flush()
                    if let internalDate { try ModificationTime.set(file.path, seconds: internalDate) }
                    let info = try file.status()
                    try file.sync()  // after utimensat: the mtime is durable too
                    file.close()
                    let staged = Staged(temporaryPath: file.path, uniqueName: uniqueName, sizes: file.sizes, flags: flags,
                                        keywordBits: keywordBits, internalDate: Int64(info.st_mtim.tv_sec))
                    stage = .staged(staged)
                    return staged
                } catch {
                    file.discard()
                    stage = .finished
                    throw error
                }
            }
        }
    }

    /// Marks a staged message as placed in `cur/` (its temporary file is gone).
    func markCommitted() {
        progress.withLock { $0 = .finished }
    }

    /// Durable (file fsynced, renamed into `cur/`, directory fsynced, UID in `dovecot-uidlist`), UID
    /// assigned, change published. Returns the new UID.
    public func commit(origin: UInt64?) throws -> UInt32 {
        try mailbox.commitAppends([self], origin: origin)[0]
    }

    /// Abandons the append and removes its file; nothing after commit or a previous abort.
    public func abort() {
        progress.withLock { stage in
            switch stage {
            case .writing(var file): file.discard()
            case .staged(let staged): _ = try? POSIX.unlink(staged.temporaryPath)
            case .finished: break
            }
            stage = .finished
        }
    }
}
