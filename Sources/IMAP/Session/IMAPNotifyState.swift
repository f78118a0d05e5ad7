import MailStore
import Synchronization

/// What a NOTIFY SET asked for (RFC 5465 §3.1, §6), with its mailbox names resolved: which events
/// the client wants for the selected mailbox and for any other one.
struct IMAPNotifySpec: Sendable {
    /// The events one mailbox specifier covers.
    struct Interest: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        /// MessageNew and MessageExpunge (always both, §5).
        static let messages = Interest(rawValue: 1 << 0)
        static let flags = Interest(rawValue: 1 << 1)
        static let mailboxName = Interest(rawValue: 1 << 2)
        static let subscription = Interest(rawValue: 1 << 3)
        static let mailboxMetadata = Interest(rawValue: 1 << 4)
        static let serverMetadata = Interest(rawValue: 1 << 5)
        /// What needs the mailbox itself watched.
        static let messageEvents: Interest = [.messages, .flags]

        init(rawValue: UInt8) { self.rawValue = rawValue }

        init(_ events: [IMAPNotifyEvent]) {
            var interest: Interest = []
            for event in events {
                switch event {
                case .messageNew, .messageExpunge: interest.insert(.messages)
                case .flagChange: interest.insert(.flags)
                case .mailboxName: interest.insert(.mailboxName)
                case .subscriptionChange: interest.insert(.subscription)
                case .mailboxMetadataChange: interest.insert(.mailboxMetadata)
                case .serverMetadataChange: interest.insert(.serverMetadata)
                case .annotationChange, .other: break  // refused before this is built
                }
            }
            self = interest
        }
    }

    private enum Scope: Sendable {
        case inboxes, personal, subscribed
        case subtree([MailboxName])
        case mailboxes([MailboxName])

        func covers(_ name: MailboxName, subscribed: Bool) -> Bool {
            switch self {
            // Loft delivers into INBOX only (§6.3: the mailboxes an MDA delivers to).
            case .inboxes: name.isInbox
            case .personal: true
            case .subscribed: subscribed
            case .subtree(let roots): roots.contains { name == $0 || name.isInferior(to: $0) }
            case .mailboxes(let names): names.contains(name)
            }
        }
    }

    /// The SELECTED or SELECTED-DELAYED events, nil when neither was given (§3.1: then none).
    let selected: Interest?
    /// SELECTED-DELAYED: expunges wait for a command that may announce them (§6.1.2).
    let selectedDelayed: Bool
    /// The FETCH items to send for each new message in the selected mailbox (§5.2).
    let newMessageAttributes: [IMAPFetchAttribute]
    private let others: [(scope: Scope, interest: Interest)]
    /// ServerMetadataChange is a user event: any group may carry it (§5.7).
    let wantsServerMetadata: Bool

    /// Names that are not valid are left out, as names of mailboxes that do not exist (§3.1).
    init(_ groups: [IMAPNotifyEventGroup], utf8Names: Bool) {
        var selected: Interest?
        var delayed = false
        var attributes: [IMAPFetchAttribute] = []
        var others: [(Scope, Interest)] = []
        var serverMetadata = false
        for group in groups {
            let interest = Interest(group.events)
            if interest.contains(.serverMetadata) { serverMetadata = true }
            let scope: Scope
            switch group.filter {
            case .selected, .selectedDelayed:
                selected = interest
                delayed = group.filter == .selectedDelayed
                for case .messageNew(let items) in group.events { attributes = items }
                continue
            case .inboxes: scope = .inboxes
            case .personal: scope = .personal
            case .subscribed: scope = .subscribed
            case .subtree(let names): scope = .subtree(names.compactMap { try? IMAPNames.mailbox($0, utf8: utf8Names) })
            case .mailboxes(let names): scope = .mailboxes(names.compactMap { try? IMAPNames.mailbox($0, utf8: utf8Names) })
            }
            others.append((scope, interest))
        }
        self.selected = selected
        self.selectedDelayed = delayed
        self.newMessageAttributes = attributes
        self.others = others
        self.wantsServerMetadata = serverMetadata
    }

    /// What the client wants to hear about `name` when it is not the selected mailbox.
    func interest(in name: MailboxName, subscribed: Bool) -> Interest {
        others.reduce(into: Interest()) { result, other in
            if other.scope.covers(name, subscribed: subscribed) { result.formUnion(other.interest) }
        }
    }

    /// Whether some specifier other than SELECTED asks for message events, so mailboxes need watching.
    var watchesOtherMailboxes: Bool {
        others.contains { !$0.interest.isDisjoint(with: .messageEvents) }
    }

    /// Whether the selected mailbox's `change` is one the client asked to hear of.
    func selectedWants(_ change: MailboxChange.Kind) -> Bool {
        guard let selected else { return false }
        switch change {
        case .appended, .expunged: return selected.contains(.messages)
        case .flagsChanged: return selected.contains(.flags)
        }
    }

    /// Blocking. The selectable mailboxes whose messages the client wants to hear about, with what.
    func watchedMailboxes(_ account: IMAPAccount) throws -> [MailboxName: Interest] {
        guard watchesOtherMailboxes else { return [:] }
        let subscribed = Set(try account.folders.subscriptions())
        var watched: [MailboxName: Interest] = [:]
        for info in try account.folders.list() where info.isSelectable {
            let interest = interest(in: info.name, subscribed: subscribed.contains(info.name)).intersection(.messageEvents)
            if !interest.isEmpty { watched[info.name] = interest }
        }
        return watched
    }
}

/// One non-selected mailbox NOTIFY watches: held open in the registry (so its changes, from any
/// session, delivery or other program, are published) for as long as it is watched.
final class IMAPNotifyWatch {
    let name: MailboxName
    let mailbox: SharedMailbox
    let observation: MailboxObservation
    var interest: IMAPNotifySpec.Interest
    /// UNSEEN as last sent: a flag change without CONDSTORE is reported only when it changes (§5.1).
    var announcedUnseen: Int?

    init(name: MailboxName, mailbox: SharedMailbox, observation: MailboxObservation, interest: IMAPNotifySpec.Interest) {
        self.name = name
        self.mailbox = mailbox
        self.observation = observation
        self.interest = interest
    }
}

/// A session's NOTIFY: what it asked for, what it watches, and what waits to be sent because a
/// command is in progress or the client is not reading.
final class IMAPNotifyState {
    let spec: IMAPNotifySpec
    var watches: [MailboxName: IMAPNotifyWatch] = [:]
    var treeObservation: MailboxObservation?
    /// Changed mailboxes whose STATUS is due; true when messages came or went, false for flags only.
    var pendingStatus: [MailboxName: Bool] = [:]
    /// LIST and METADATA responses, in order.
    var pendingLines: [String] = []
    /// The selected mailbox changed in a way the client asked to hear of.
    var selectedPending = false
    /// New messages of the selected mailbox, announced by EXISTS, whose FETCH items are due (§5.2).
    var pendingNewMessages: [UInt32] = []
    /// A re-evaluation of the watched mailboxes is running; another change asks for one more after it.
    var rewatching = false
    var rewatchAgain = false

    init(spec: IMAPNotifySpec) {
        self.spec = spec
    }

    var pendingCount: Int { pendingStatus.count + pendingLines.count }

    /// Cancels every observation; returns the mailboxes still held open.
    func cancel() -> [SharedMailbox] {
        treeObservation?.cancel()
        treeObservation = nil
        let mailboxes = watches.values.map { watch in
            watch.observation.cancel()
            return watch.mailbox
        }
        watches = [:]
        return mailboxes
    }
}

/// UIDs this session itself added to its selected mailbox (APPEND, COPY, MOVE), noted as the change
/// is published (on any thread), so NOTIFY sends no FETCH for them (RFC 5465 §5.2).
final class IMAPOwnAppends: Sendable {
    private let uids = Mutex<Set<UInt32>>([])

    func insert(_ new: [UInt32]) {
        uids.withLock { $0.formUnion(new) }
    }

    /// Removes and returns those of `candidates` that are this session's own.
    func take(from candidates: [UInt32]) -> Set<UInt32> {
        uids.withLock { uids in
            let own = uids.intersection(candidates)
            uids.subtract(own)
            return own
        }
    }
}
