extension IMAPGrammarParser {
    // notify = "NOTIFY" SP (notify-set / notify-none)                  (RFC 5465 §8)
    // notify-set = "SET" [status-indicator] SP event-groups
    // notify-none = "NONE"
    // status-indicator = SP "STATUS"
    // event-groups = event-group *(SP event-group)
    //
    // Beside the grammar, the rules §3.1, §5 and §6.1 make BAD: MessageNew and MessageExpunge only
    // together, FlagChange and AnnotationChange only with both, one SELECTED or SELECTED-DELAYED at
    // most, only message events with it, and a fetch-att list only with it. Unknown events parse
    // (`event-ext`); the session refuses them with `NO [BADEVENT]`.
    mutating func parseNotify() throws(IMAPParseError) -> IMAPCommand.Kind {
        try expectSpace()
        switch try parseKeyword() {
        case "NONE":
            return .notify(.none)
        case "SET":
            try expectSpace()
            var status = false
            if peek() != UInt8(ascii: "(") {
                guard try parseKeyword() == "STATUS" else { throw fail("Expected STATUS or an event group") }
                status = true
                try expectSpace()
            }
            var groups: [IMAPNotifyEventGroup] = []
            repeat { groups.append(try parseNotifyEventGroup()) } while consume(Self.space)
            guard groups.count(where: \.filter.isSelected) <= 1 else {
                throw fail("Only one of SELECTED and SELECTED-DELAYED may be given (RFC 5465 section 6.1)")
            }
            return .notify(.set(status: status, groups: groups))
        default:
            throw fail("NOTIFY takes SET or NONE")
        }
    }

    // event-group = "(" filter-mailboxes SP events ")"
    private mutating func parseNotifyEventGroup() throws(IMAPParseError) -> IMAPNotifyEventGroup {
        try expect(UInt8(ascii: "("), "\"(\" before an event group")
        let filter = try parseNotifyFilter()
        try expectSpace()
        let events = try parseNotifyEvents(selected: filter.isSelected)
        try expect(UInt8(ascii: ")"), "\")\" after an event group")
        return IMAPNotifyEventGroup(filter: filter, events: events)
    }

    // filter-mailboxes = filter-mailboxes-selected / filter-mailboxes-other
    // filter-mailboxes-selected = "selected" / "selected-delayed"
    // filter-mailboxes-other = "inboxes" / "personal" / "subscribed" /
    //                          ("subtree" SP one-or-more-mailbox) / ("mailboxes" SP one-or-more-mailbox)
    private mutating func parseNotifyFilter() throws(IMAPParseError) -> IMAPNotifyFilter {
        switch try parseKeyword() {
        case "SELECTED": return .selected
        case "SELECTED-DELAYED": return .selectedDelayed
        case "INBOXES": return .inboxes
        case "PERSONAL": return .personal
        case "SUBSCRIBED": return .subscribed
        case "SUBTREE":
            try expectSpace()
            return .subtree(try parseOneOrMoreMailboxes())
        case "MAILBOXES":
            try expectSpace()
            return .mailboxes(try parseOneOrMoreMailboxes())
        case let name:
            throw fail("Unknown mailbox specifier \(name.prefix(40))")
        }
    }

    // one-or-more-mailbox = mailbox / many-mailboxes
    // many-mailboxes = "(" mailbox *(SP mailbox) ")"
    private mutating func parseOneOrMoreMailboxes() throws(IMAPParseError) -> [IMAPMailboxName] {
        guard consume(UInt8(ascii: "(")) else { return [try parseMailbox()] }
        var names: [IMAPMailboxName] = []
        repeat { names.append(try parseMailbox()) } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the mailbox names")
        return names
    }

    // events = ( "(" event *(SP event) ")" ) / "NONE"
    // event = message-event / mailbox-event / user-event / event-ext
    // message-event = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) / "MessageExpunge" /
    //                 "FlagChange" / "AnnotationChange"
    // mailbox-event = "MailboxName" / "SubscriptionChange" / "MailboxMetadataChange"
    // user-event = "ServerMetadataChange"
    // event-ext = atom
    private mutating func parseNotifyEvents(selected: Bool) throws(IMAPParseError) -> [IMAPNotifyEvent] {
        guard consume(UInt8(ascii: "(")) else {
            guard try parseAtom().uppercased() == "NONE" else { throw fail("Expected an event list or NONE") }
            return []
        }
        var events: [IMAPNotifyEvent] = []
        repeat {
            let name = try parseAtom()
            let event: IMAPNotifyEvent
            switch name.uppercased() {
            case "MESSAGENEW":
                var attributes: [IMAPFetchAttribute] = []
                if peek() == Self.space, peek(1) == UInt8(ascii: "(") {
                    guard selected else {
                        throw fail("MessageNew takes FETCH items only with SELECTED or SELECTED-DELAYED (RFC 5465 section 8)")
                    }
                    buffer.moveReaderIndex(forwardBy: 2)
                    repeat { attributes.append(try parseFetchAttribute()) } while consume(Self.space)
                    try expect(UInt8(ascii: ")"), "\")\" after the FETCH items")
                }
                event = .messageNew(attributes)
            case "MESSAGEEXPUNGE": event = .messageExpunge
            case "FLAGCHANGE": event = .flagChange
            case "ANNOTATIONCHANGE": event = .annotationChange
            case "MAILBOXNAME": event = .mailboxName
            case "SUBSCRIPTIONCHANGE": event = .subscriptionChange
            case "MAILBOXMETADATACHANGE": event = .mailboxMetadataChange
            case "SERVERMETADATACHANGE": event = .serverMetadataChange
            default: event = .other(name)
            }
            // An unknown event is left to the session's BADEVENT answer.
            if selected, !event.isMessageEvent, event != .other(name) {
                throw fail("SELECTED and SELECTED-DELAYED take message events only (RFC 5465 section 6.1)")
            }
            events.append(event)
        } while consume(Self.space)
        try expect(UInt8(ascii: ")"), "\")\" after the events")
        try Self.checkNotifyEventRules(events)
        return events
    }

    /// RFC 5465 §5: MessageNew and MessageExpunge come together; FlagChange and AnnotationChange need both.
    private static func checkNotifyEventRules(_ events: [IMAPNotifyEvent]) throws(IMAPParseError) {
        let hasNew = events.contains { if case .messageNew = $0 { true } else { false } }
        let hasExpunge = events.contains(.messageExpunge)
        guard hasNew == hasExpunge else {
            throw IMAPParseError(.syntax, "MessageNew and MessageExpunge must be given together (RFC 5465 section 5)")
        }
        if (events.contains(.flagChange) || events.contains(.annotationChange)) && !hasNew {
            throw IMAPParseError(.syntax, "FlagChange and AnnotationChange need MessageNew and MessageExpunge (RFC 5465 section 5)")
        }
    }
}
