import MailStore

extension IMAPSession {
    /// The events Loft reports (RFC 5465 §5); the metadata ones only where METADATA is offered.
    var supportedNotifyEvents: [String] {
        var names = ["MessageNew", "MessageExpunge", "FlagChange", "MailboxName", "SubscriptionChange"]
        if !withheldCapabilities.contains("METADATA") { names += ["MailboxMetadataChange", "ServerMetadataChange"] }
        return names
    }

    /// RFC 5465 §3.1 NOTIFY SET / NOTIFY NONE. SET replaces what an earlier NOTIFY asked for: it opens
    /// the mailboxes to watch (at most `IMAPLimits.maxNotifyMailboxes`, else `NO [NOTIFICATIONOVERFLOW]`),
    /// sends their STATUS when asked (STATUS indicator), and, as an implicit NOOP, what changed in the
    /// selected mailbox. Events Loft does not report are refused with `NO [BADEVENT (...)]`.
    func notify(_ tag: String, _ command: IMAPNotifyCommand) {
        // Withheld, NOTIFY is answered as a command Loft does not know (as the parser would).
        guard !withheldCapabilities.contains("NOTIFY") else { return bad(tag, "Unknown command NOTIFY") }
        guard let account = requireAuthenticated(tag) else { return }
        guard case .set(let sendStatus, let groups) = command else {
            stopNotifications()
            return complete(tag, "NOTIFY completed.")
        }
        let supported = supportedNotifyEvents
        let unsupported = groups.flatMap(\.events).filter { event in !supported.contains(event.name) }
        guard unsupported.isEmpty else {
            return complete(tag, .no, code: "BADEVENT (\(supported.joined(separator: " ")))",
                            "\(unsupported[0].name) is not an event Loft reports.")
        }
        let spec = IMAPNotifySpec(groups, utf8Names: utf8Names)
        let attributes = spec.newMessageAttributes
        if attributes.contains(where: \.isBinary), withheldCapabilities.contains("BINARY") {
            return bad(tag, "BINARY is not offered on this connection.")
        }
        if attributes.contains(.modSeq), !condStoreUsed(by: tag) { return }
        stopNotifications()
        let limit = configuration.limits.maxNotifyMailboxes
        blocking { try Self.openNotifyMailboxes(spec, account, limit: limit) } then: { outcome in
            switch outcome {
            case .success(let result):
                let notify = IMAPNotifyState(spec: spec)
                self.startNotifications(notify, result.opened, account: account)
                if sendStatus {
                    // §3.1: the STATUS of every watched mailbox other than the selected one.
                    for (name, watch) in notify.watches.sorted(by: { $0.key < $1.key }) where name != self.selection?.name {
                        if let line = self.statusNotification(watch, messagesChanged: nil) { self.untagged(line) }
                    }
                }
                self.complete(tag, "NOTIFY completed.")
            case .failure(is NotifyTooManyMailboxes):
                self.complete(tag, .no, code: "NOTIFICATIONOVERFLOW",
                              "NOTIFY would watch more than \(limit) mailboxes; name fewer.")
            case .failure(let error):
                self.fail(tag, error, "NOTIFY failed")
            }
        }
    }
}
