import Synchronization

/// The readers' side of a `SharedMailbox`: the current state (swapped whole after each change, so a
/// reader never waits for disk work), the observers, the changes waiting to reach them, and the UIDs
/// still \Recent.
///
/// Changes are queued in the order they were made and handed out by one thread at a time, never while
/// any lock is held, so every observer sees them in order (an expunge never overtakes its append).
final class MailboxPublisher: Sendable {
    typealias Handler = @Sendable (MailboxChange) -> Void

    private struct Observer {
        /// Only changes queued after the observer registered reach it.
        var after: UInt64
        var handler: Handler
    }

    private struct Published {
        var state: MailboxState
        var locations: [MessageLocation]
        var queue: [(sequence: UInt64, change: MailboxChange)] = []
        var lastSequence: UInt64 = 0
        var observers: [UInt64: Observer] = [:]
        var nextObserverID: UInt64 = 0
        var delivering = false
        var recent: Set<UInt32> = []
    }

    private let published: Mutex<Published>

    init(_ index: MailboxIndex) {
        published = Mutex(Published(state: index.state, locations: index.locations))
    }

    var state: MailboxState {
        published.withLock { $0.state }
    }

    /// The file of `uid` as of the last change, nil when the UID is not in the mailbox.
    func message(uid: UInt32) -> MaildirMessage? {
        published.withLock { published in
            guard let position = published.state.index(ofUID: uid) else { return nil }
            let record = published.state.messages[position]
            let location = published.locations[position]
            return MaildirMessage(uid: uid, directory: location.directory, fileName: location.fileName,
                                  size: record.size, virtualSize: record.virtualSize, emailID: record.emailID)
        }
    }

    /// Makes `index` the current state and queues `changes`; call `deliver()` once no lock is held.
    /// `recent` joins the \Recent UIDs; expunged UIDs leave them.
    func publish(_ index: MailboxIndex, changes: [MailboxChange.Kind], origin: UInt64?, recent: [UInt32] = []) {
        published.withLock { published in
            published.state = index.state
            published.locations = index.locations
            published.recent.formUnion(recent)
            for kind in changes {
                if case let .expunged(uids) = kind { published.recent.subtract(uids) }
                published.lastSequence += 1
                published.queue.append((published.lastSequence, MailboxChange(
                    kind: kind, origin: origin, highestModSeq: index.highestModSeq)))
            }
        }
    }

    /// Hands queued changes to the observers, unless another thread is already doing so (it then
    /// delivers these too, in order).
    func deliver() {
        let claimed = published.withLock { published in
            guard !published.delivering, !published.queue.isEmpty else { return false }
            published.delivering = true
            return true
        }
        guard claimed else { return }
        while let (change, handlers) = nextDelivery() {
            for handler in handlers { handler(change) }
        }
    }

    private func nextDelivery() -> (MailboxChange, [Handler])? {
        published.withLock { published in
            guard !published.queue.isEmpty else {
                published.delivering = false
                return nil
            }
            let (sequence, change) = published.queue.removeFirst()
            let handlers = published.observers.values.filter { $0.after < sequence }.map(\.handler)
            return (change, handlers)
        }
    }

    /// Registers `handler` for every change published from now on, and returns the state it starts from.
    func observe(_ handler: @escaping Handler) -> (id: UInt64, state: MailboxState) {
        published.withLock { published in
            published.nextObserverID += 1
            published.observers[published.nextObserverID] = Observer(after: published.lastSequence, handler: handler)
            return (published.nextObserverID, published.state)
        }
    }

    func removeObserver(_ id: UInt64) {
        _ = published.withLock { $0.observers.removeValue(forKey: id) }
    }

    /// Drops every observer (the mailbox is no longer open).
    func removeAllObservers() {
        published.withLock { $0.observers.removeAll() }
    }

    /// The \Recent UIDs nobody claimed yet; each is handed out once.
    func claimRecent() -> Set<UInt32> {
        published.withLock { published in
            defer { published.recent.removeAll() }
            return published.recent
        }
    }
}
