import Synchronization

/// A change to a user's folder tree, subscriptions or METADATA, made through Loft (another program's
/// changes to these are not seen): what IMAP NOTIFY reports as MailboxName, SubscriptionChange and the
/// metadata events (RFC 5465 §5.4–§5.7).
public struct MailboxTreeChange: Sendable {
    public enum Kind: Sendable {
        /// CREATE, DELETE or RENAME: each affected name as it is now (a deleted one as `\NonExistent`),
        /// and for RENAME the old name of the first.
        case names([MailboxInfo], oldName: MailboxName?)
        /// SUBSCRIBE or UNSUBSCRIBE: the name as it is now.
        case subscription(MailboxInfo)
        /// SETMETADATA: the entries set or removed, on a mailbox (as it is now) or (nil) on the server.
        case metadata(MailboxInfo?, entries: [String])
    }

    public let kind: Kind
    /// The token of the session that made the change.
    public let origin: UInt64

    public init(_ kind: Kind, origin: UInt64) {
        self.kind = kind
        self.origin = origin
    }
}

/// Hands `MailboxTreeChange`s of one user (by Maildir root) to that user's observers, in this process.
public final class MailboxTreeEvents: Sendable {
    public typealias Handler = @Sendable (MailboxTreeChange) -> Void

    private struct Observers {
        var byRoot: [String: [UInt64: Handler]] = [:]
        var nextID: UInt64 = 0
    }

    private let observers = Mutex(Observers())

    public init() {}

    /// Non-blocking. `handler` runs on the publisher's thread for every change of the tree at `root`
    /// until the observation is cancelled.
    public func observe(root: String, _ handler: @escaping Handler) -> MailboxObservation {
        let id = observers.withLock { observers in
            observers.nextID += 1
            observers.byRoot[root, default: [:]][observers.nextID] = handler
            return observers.nextID
        }
        return MailboxObservation { [weak self] in
            self?.observers.withLock { observers in
                observers.byRoot[root]?[id] = nil
                if observers.byRoot[root]?.isEmpty == true { observers.byRoot[root] = nil }
            }
        }
    }

    /// Whether anyone observes `root` (publishers skip the work of describing a change otherwise).
    public func hasObservers(root: String) -> Bool {
        observers.withLock { $0.byRoot[root] != nil }
    }

    /// Calls every observer of `root` (outside the lock).
    public func publish(root: String, _ change: MailboxTreeChange) {
        let handlers = observers.withLock { Array(($0.byRoot[root] ?? [:]).values) }
        for handler in handlers { handler(change) }
    }
}
