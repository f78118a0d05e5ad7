import LineProtocol
import MailStore
import NIOCore

/// NOTIFY (RFC 5465): changes are sent as they happen, also between commands. The selected mailbox's
/// come from its `SharedMailbox` observation (as for IDLE); other mailboxes are held open in the
/// registry while watched, and each change there becomes an untagged STATUS; folder, subscription
/// and METADATA changes made through Loft arrive from `MailboxTreeEvents` and become LIST or METADATA.
///
/// Nothing is written while a command is in progress (its response may be streaming) or while the
/// client does not read: notifications wait, STATUS coalesced per mailbox, and more than
/// `IMAPLimits.maxPendingNotifications` waiting ends NOTIFY with `OK [NOTIFICATIONOVERFLOW]` (§5.8).
extension IMAPSession {
    /// The selected mailbox published `change` (on the event loop).
    func selectedMailboxChanged(_ change: MailboxChange) {
        guard let notify, change.origin != origin, notify.spec.selectedWants(change.kind) else { return }
        notify.selectedPending = true
        deliverNotifications()
    }

    /// Whether untagged responses may be written now: no command is running or streaming, no
    /// APPEND or SASL exchange is under way, and the client reads what it is sent.
    private var mayNotifyNow: Bool {
        guard let connection, state == .authenticated || state == .selected else { return false }
        return !connection.isWaiting && connection.isWritable && append == nil && sasl == nil
    }

    var hasPendingNotifications: Bool {
        notificationOverflowPending
            || notify.map { $0.selectedPending || $0.pendingCount > 0 || !$0.pendingNewMessages.isEmpty } ?? false
    }

    /// Writes what waits, if it may be written now.
    func deliverNotifications() {
        guard mayNotifyNow else { return }
        if let notify, notify.selectedPending {
            notify.selectedPending = false
            announceChanges(expunges: !notify.spec.selectedDelayed)  // RFC 5465 §6.1
        }
        emitPendingNotifications()
        flush()
        fetchNewMessages()
    }

    /// The overflow notice, LIST, METADATA and STATUS responses that wait (also before a tagged response).
    func emitPendingNotifications() {
        if notificationOverflowPending {
            notificationOverflowPending = false
            untagged("OK [NOTIFICATIONOVERFLOW] Too many changes at once; NOTIFY is off, please resynchronise.")
        }
        guard let notify else { return }
        for line in notify.pendingLines { untagged(line) }
        notify.pendingLines = []
        let due = notify.pendingStatus
        notify.pendingStatus = [:]
        for (name, messagesChanged) in due.sorted(by: { $0.key < $1.key }) where name != selection?.name {
            guard let watch = notify.watches[name] else { continue }
            if let line = statusNotification(watch, messagesChanged: messagesChanged) { untagged(line) }
        }
    }

    /// RFC 5465 §5.1–§5.3: STATUS for a watched mailbox other than the selected one. MessageNew and
    /// MessageExpunge: MESSAGES, UIDNEXT, UIDVALIDITY; FlagChange: UIDVALIDITY and UNSEEN (sent
    /// without CONDSTORE only when UNSEEN changed); HIGHESTMODSEQ once CONDSTORE is on.
    func statusNotification(_ watch: IMAPNotifyWatch, messagesChanged: Bool?) -> String? {
        let state = watch.mailbox.state
        var items: [IMAPStatusAttribute] = []
        if watch.interest.contains(.messages) { items += [.messages, .uidNext, .uidValidity] }
        if watch.interest.contains(.flags) {
            if !items.contains(.uidValidity) { items.append(.uidValidity) }
            items.append(.unseen)
            let unseen = state.messages.count { !$0.flags.contains(.seen) }
            if messagesChanged == false, !condStore, unseen == watch.announcedUnseen { return nil }
            watch.announcedUnseen = unseen
        }
        if condStore { items.append(.highestModSeq) }
        return statusResponse(watch.name, items, state, recent: 0)
    }

    /// RFC 5465 §5.2: the FETCH items asked for with MessageNew, for the new messages EXISTS announced.
    private func fetchNewMessages() {
        guard let notify, !notify.pendingNewMessages.isEmpty, let selection, let connection, mayNotifyNow else { return }
        let uids = notify.pendingNewMessages
        notify.pendingNewMessages = []
        let targets = uids.compactMap { uid in selection.sequenceNumber(ofUID: uid).map { (sequenceNumber: $0, uid: uid) } }
        guard !targets.isEmpty else { return }
        // The client should not ask for items that set \Seen (§5.2); they are served as PEEK.
        let job = IMAPFetchJob(
            targets: targets, attributes: notify.spec.newMessageAttributes, mailbox: selection.mailbox,
            recent: selection.recent, addUID: true, setsSeen: false, origin: origin, allocator: connection.allocator)
        connection.stream({ try job.nextChunk() }) { outcome in
            guard case .failure(let error) = outcome else { return }
            connection.logger.error("NOTIFY FETCH failed", metadata: ["error": "\(error)"])
            if job.hasSentAnything { connection.close() }  // a response cut off in a literal cannot be repaired
        }
    }

    /// After `announceChanges` added messages after `lastUID` to the view: their FETCH items are due
    /// (not for those this session added itself).
    func noteNewMessages(after lastUID: UInt32, in selection: IMAPSelection) {
        var new: [UInt32] = []
        for uid in selection.uids.reversed() {
            guard uid > lastUID else { break }
            new.append(uid)
        }
        guard !new.isEmpty else { return }
        let own = selection.ownAppends.take(from: new)
        guard let notify, notify.spec.selected?.contains(.messages) == true, !notify.spec.newMessageAttributes.isEmpty else { return }
        notify.pendingNewMessages += new.reversed().filter { !own.contains($0) }
    }

    // MARK: - Watching

    /// Starts `notify`: watches the mailboxes opened for it and the user's folder tree.
    func startNotifications(_ notify: IMAPNotifyState, _ opened: [MailboxName: (SharedMailbox, IMAPNotifySpec.Interest)],
                            account: IMAPAccount) {
        self.notify = notify
        addWatches(opened, to: notify)
        guard let connection else { return }
        let bound = NIOLoopBound((session: self, notify: notify), eventLoop: connection.eventLoop)
        let eventLoop = connection.eventLoop
        notify.treeObservation = account.registry.treeEvents.observe(root: account.folders.root) { change in
            eventLoop.execute { bound.value.session.treeChanged(change, for: bound.value.notify) }
        }
    }

    private func addWatches(_ opened: [MailboxName: (SharedMailbox, IMAPNotifySpec.Interest)], to notify: IMAPNotifyState) {
        guard let connection else { return }
        let eventLoop = connection.eventLoop
        let origin = self.origin
        for (name, (mailbox, interest)) in opened {
            let bound = NIOLoopBound((session: self, notify: notify), eventLoop: eventLoop)
            let observation = mailbox.observe { change in
                guard change.origin != origin else { return }  // RFC 5465 §5: not the client's own changes
                eventLoop.execute { bound.value.session.watchedMailboxChanged(name, change, for: bound.value.notify) }
            }
            let watch = IMAPNotifyWatch(name: name, mailbox: mailbox, observation: observation, interest: interest)
            watch.announcedUnseen = mailbox.state.messages.count { !$0.flags.contains(.seen) }
            notify.watches[name] = watch
        }
    }

    private func watchedMailboxChanged(_ name: MailboxName, _ change: MailboxChange, for notify: IMAPNotifyState) {
        guard notify === self.notify, let watch = notify.watches[name] else { return }
        switch change.kind {
        case .appended, .expunged:
            guard watch.interest.contains(.messages) else { return }
            notify.pendingStatus[name] = true
        case .flagsChanged:
            guard watch.interest.contains(.flags) else { return }
            notify.pendingStatus[name] = notify.pendingStatus[name] ?? false
        }
        queued(notify)
    }

    /// A folder, subscription or METADATA change of this user: LIST or METADATA for the client where it
    /// asked (RFC 5465 §5.4–§5.7), and the watched mailboxes evaluated again where the tree changed.
    private func treeChanged(_ change: MailboxTreeChange, for notify: IMAPNotifyState) {
        guard notify === self.notify else { return }
        let spec = notify.spec
        switch change.kind {
        case .names(let infos, let oldName):
            if change.origin != origin {
                for (index, info) in infos.enumerated() {
                    let old = index == 0 ? oldName : nil
                    let wanted = spec.interest(in: info.name, subscribed: info.isSubscribed).contains(.mailboxName)
                        || old.map { spec.interest(in: $0, subscribed: info.isSubscribed).contains(.mailboxName) } == true
                    if wanted { notify.pendingLines.append(listNotification(info, oldName: old)) }
                }
            }
            rewatch(notify)
        case .subscription(let info):
            // SUBSCRIBED covers the name before the change as well as after (an UNSUBSCRIBE is news).
            if change.origin != origin, spec.interest(in: info.name, subscribed: true).contains(.subscription)
                || spec.interest(in: info.name, subscribed: false).contains(.subscription) {
                notify.pendingLines.append(listNotification(info, oldName: nil))
            }
            rewatch(notify)
        case .metadata(let info, let entries):
            guard change.origin != origin else { return }
            let wanted = info.map { spec.interest(in: $0.name, subscribed: $0.isSubscribed).contains(.mailboxMetadata) }
                ?? spec.wantsServerMetadata
            guard wanted else { return }
            // RFC 5464 §4.4.2: the unsolicited form names the changed entries only.
            let mailbox = info.map { wireName($0.name) } ?? "\"\""
            notify.pendingLines.append("METADATA \(mailbox) " + entries.map(IMAPNames.quoted).joined(separator: " "))
        }
        queued(notify)
    }

    /// `LIST` for RFC 5465 §5.4/§5.5: every attribute computed as LIST would, `\Subscribed` when
    /// subscribed, and `OLDNAME` after a rename.
    func listNotification(_ info: MailboxInfo, oldName: MailboxName?) -> String {
        var attributes = info.attributes
        if info.isSubscribed { attributes.append("\\Subscribed") }
        let extended = oldName.map { " (\"OLDNAME\" (\(wireName($0))))" } ?? ""
        return "LIST (\(attributes.joined(separator: " "))) \".\" \(wireName(info.name))\(extended)"
    }

    /// Something was queued: overflow, or send it if that may be done now.
    private func queued(_ notify: IMAPNotifyState) {
        if notify.pendingCount > configuration.limits.maxPendingNotifications {
            return notificationOverflow()
        }
        deliverNotifications()
    }

    /// RFC 5465 §5.8: as NOTIFY NONE, and the client is told.
    func notificationOverflow() {
        stopNotifications()
        notificationOverflowPending = true
        deliverNotifications()
    }

    /// The folder tree or the subscriptions changed: the watched set is computed again off the event
    /// loop (input goes on meanwhile), newly covered mailboxes opened, no longer covered ones closed.
    private func rewatch(_ notify: IMAPNotifyState) {
        guard notify.spec.watchesOtherMailboxes, let account, let connection else { return }
        guard !notify.rewatching else {
            notify.rewatchAgain = true
            return
        }
        notify.rewatching = true
        let spec = notify.spec
        let current = Set(notify.watches.keys)
        let limit = configuration.limits.maxNotifyMailboxes
        connection.services.blockingWork.run(on: connection.eventLoop) {
            try Self.openNotifyMailboxes(spec, account, limit: limit, skipping: current)
        }.assumeIsolated().whenComplete { outcome in
            notify.rewatching = false
            guard notify === self.notify else {
                if case .success(let result) = outcome { self.closeOffLoop(result.opened.values.map(\.0), on: connection) }
                return
            }
            switch outcome {
            case .success(let result):
                var closed: [SharedMailbox] = []
                for (name, watch) in notify.watches {
                    if let interest = result.watched[name] {
                        watch.interest = interest
                    } else {
                        watch.observation.cancel()
                        notify.watches[name] = nil
                        notify.pendingStatus[name] = nil
                        closed.append(watch.mailbox)
                    }
                }
                self.closeOffLoop(closed, on: connection)
                self.addWatches(result.opened, to: notify)
                if notify.rewatchAgain {
                    notify.rewatchAgain = false
                    self.rewatch(notify)
                }
            case .failure(is NotifyTooManyMailboxes):
                self.notificationOverflow()
            case .failure(let error):
                // The watched set stays as it was; the next change tries again.
                connection.logger.error("NOTIFY could not update its watched mailboxes", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Blocking. The mailboxes `spec` watches (at most `limit`), opening those not in `skipping`; a
    /// mailbox that cannot be opened (removed meanwhile) is left out.
    static func openNotifyMailboxes(_ spec: IMAPNotifySpec, _ account: IMAPAccount, limit: Int,
                                    skipping: Set<MailboxName> = [])
        throws -> (watched: [MailboxName: IMAPNotifySpec.Interest], opened: [MailboxName: (SharedMailbox, IMAPNotifySpec.Interest)]) {
        let watched = try spec.watchedMailboxes(account)
        guard watched.count <= limit else { throw NotifyTooManyMailboxes() }
        var opened: [MailboxName: (SharedMailbox, IMAPNotifySpec.Interest)] = [:]
        for (name, interest) in watched where !skipping.contains(name) {
            if let mailbox = try? account.open(name) { opened[name] = (mailbox, interest) }
        }
        return (watched, opened)
    }

    /// NOTIFY NONE, a new NOTIFY SET, an overflow: every watch ends and its mailbox is released.
    func stopNotifications() {
        guard let notify else { return }
        self.notify = nil
        closeOffLoop(notify.cancel())
    }

    /// Releases mailboxes on the disk pool (the last release writes the index); also after the
    /// connection closed, for what a re-evaluation opened late (`closeAll` may have run before).
    private func closeOffLoop(_ mailboxes: [SharedMailbox], on connection: LineConnection? = nil) {
        guard !mailboxes.isEmpty, let account, let connection = connection ?? self.connection else { return }
        _ = connection.services.blockingWork.run(on: connection.eventLoop) {
            for mailbox in mailboxes { account.close(mailbox) }
        }
    }

    /// Publishes a change of the user's tree to the sessions watching it, if any. Blocking (it lists
    /// the affected names); a failure only costs the notification.
    static func publishTreeChange(_ account: IMAPAccount, origin: UInt64, _ kind: () throws -> MailboxTreeChange.Kind) {
        let events = account.registry.treeEvents
        let root = account.folders.root
        guard events.hasObservers(root: root), let kind = try? kind() else { return }
        events.publish(root: root, MailboxTreeChange(kind, origin: origin))
    }
}

/// NOTIFY would watch more mailboxes than `IMAPLimits.maxNotifyMailboxes`.
struct NotifyTooManyMailboxes: Error {}
