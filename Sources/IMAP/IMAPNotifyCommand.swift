/// The NOTIFY command (RFC 5465 §3.1): `NOTIFY NONE`, or `NOTIFY SET [STATUS]` with event groups.
public enum IMAPNotifyCommand: Sendable, Equatable {
    case none
    /// `status`: the STATUS indicator (send the watched mailboxes' STATUS before the tagged OK).
    case set(status: Bool, groups: [IMAPNotifyEventGroup])
}

/// One `event-group`: which mailboxes, and which events in them (empty for `NONE`).
public struct IMAPNotifyEventGroup: Sendable, Equatable {
    public var filter: IMAPNotifyFilter
    public var events: [IMAPNotifyEvent]

    public init(filter: IMAPNotifyFilter, events: [IMAPNotifyEvent]) {
        self.filter = filter
        self.events = events
    }
}

/// `filter-mailboxes` (RFC 5465 §6).
public enum IMAPNotifyFilter: Sendable, Equatable {
    case selected
    /// Expunges wait for a command that may announce them (§6.1.2).
    case selectedDelayed
    case inboxes
    case personal
    case subscribed
    /// The named mailboxes and every mailbox below them (§6.5).
    case subtree([IMAPMailboxName])
    /// Exactly the named mailboxes, no wildcards (§6.6).
    case mailboxes([IMAPMailboxName])

    public var isSelected: Bool { self == .selected || self == .selectedDelayed }
}

/// `event` (RFC 5465 §5, §8). Names compare case-insensitively.
public enum IMAPNotifyEvent: Sendable, Equatable {
    /// With the FETCH items to send for each new message in the selected mailbox (§5.2).
    case messageNew([IMAPFetchAttribute])
    case messageExpunge
    case flagChange
    case annotationChange
    case mailboxName
    case subscriptionChange
    case mailboxMetadataChange
    case serverMetadataChange
    /// `event-ext`: an event this server does not know (answered `NO [BADEVENT ...]`, §3.1).
    case other(String)

    /// The event's name as RFC 5465 §8 spells it.
    public var name: String {
        switch self {
        case .messageNew: "MessageNew"
        case .messageExpunge: "MessageExpunge"
        case .flagChange: "FlagChange"
        case .annotationChange: "AnnotationChange"
        case .mailboxName: "MailboxName"
        case .subscriptionChange: "SubscriptionChange"
        case .mailboxMetadataChange: "MailboxMetadataChange"
        case .serverMetadataChange: "ServerMetadataChange"
        case .other(let name): name
        }
    }

    /// `message-event`: the only kind the SELECTED specifiers take.
    public var isMessageEvent: Bool {
        switch self {
        case .messageNew, .messageExpunge, .flagChange, .annotationChange: true
        default: false
        }
    }
}
