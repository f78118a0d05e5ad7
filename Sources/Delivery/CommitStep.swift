/// The points of `DeliveryTransaction.commit()` where an injected fault may strike (tests only).
/// Each is reached after the work it names is done.
enum CommitStep: Sendable, Equatable {
    /// The temporary file in `queue/tmp/` is written and fsynced.
    case synced
    /// The message is linked (or copied) into the `tmp/` of local Maildir number `index`.
    case linkedIntoMaildir(index: Int)
    /// The message is renamed into the `new/` of local Maildir number `index`.
    case renamedIntoNew(index: Int)
    /// Every touched `new/` directory is fsynced.
    case maildirsSynced
    /// The message is linked into `queue/messages/` and that directory fsynced; no envelope yet.
    case spoolMessageLinked
    /// The envelope is written and fsynced in `queue/tmp/`, not yet renamed into `queue/envelopes/`.
    case spoolEnvelopeWritten
    /// The spool entry is complete and durable.
    case spooled
    /// `DirectorySync` has fsynced this directory for every transaction waiting on that fsync (a throw
    /// fails all of them).
    case directorySynced(path: String)
}

/// A test hook called at each `CommitStep`; throwing simulates a failure there.
typealias CommitFaultHook = @Sendable (CommitStep) throws -> Void
