import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.8 with LIST-EXTENDED (RFC 5258) selection options SUBSCRIBED,
    /// RECURSIVEMATCH and SPECIAL-USE (RFC 6154), and return options SUBSCRIBED, CHILDREN and
    /// SPECIAL-USE. Child attributes and special uses are always sent (RFC 5258 §4, RFC 6154 §2).
    func list(_ tag: String, _ command: IMAPListCommand) {
        guard let account = requireAuthenticated(tag) else { return }
        // RFC 3501 §6.3.8: an empty pattern asks for the hierarchy separator.
        if !command.isExtended, command.patterns == [[]] {
            untagged("LIST (\\Noselect) \".\" \"\"")
            return complete(tag, "LIST completed.")
        }
        if command.selectionOptions.contains(.recursiveMatch),
           !command.selectionOptions.contains(.subscribed) {
            // RFC 5258 §3.1: RECURSIVEMATCH alone is an error.
            return bad(tag, "RECURSIVEMATCH needs another selection option.")
        }
        if command.returnOptions?.contains(where: { if case .status = $0 { true } else { false } }) == true {
            return bad(tag, "LIST-STATUS is not supported.")
        }
        let patterns = command.patterns.compactMap { IMAPNames.pattern(reference: command.reference, $0) }
        let selectSubscribed = command.selectionOptions.contains(.subscribed)
        let selectSpecialUse = command.selectionOptions.contains(.specialUse)
        let recursive = command.selectionOptions.contains(.recursiveMatch)
        let showSubscribed = selectSubscribed || command.returnOptions?.contains(.subscribed) == true
        blocking { try account.folders.list() } then: { outcome in
            guard case .success(let mailboxes) = outcome else {
                if case .failure(let error) = outcome { self.fail(tag, error, "LIST failed") }
                return
            }
            let subscribedNames = Set(mailboxes.filter(\.isSubscribed).map(\.name))
            for info in mailboxes where patterns.contains(where: { $0.matches(info.name.name) }) {
                var attributes = info.attributes
                if showSubscribed && info.isSubscribed { attributes.append("\\Subscribed") }
                var extra = ""
                if selectSubscribed && !info.isSubscribed {
                    // RFC 5258 §3.5: a parent that is not subscribed but has subscribed children.
                    guard recursive, subscribedNames.contains(where: { $0.isInferior(to: info.name) }) else { continue }
                    extra = " (\"CHILDINFO\" (\"SUBSCRIBED\"))"
                }
                if selectSpecialUse && info.specialUse == nil { continue }
                self.untagged("LIST (\(attributes.joined(separator: " "))) \".\" \(IMAPNames.wire(info.name))\(extra)")
            }
            self.complete(tag, "LIST completed.")
        }
    }

    /// RFC 3501 §6.3.9: the subscribed names matching the pattern.
    func lsub(_ tag: String, reference: IMAPMailboxName, pattern: [UInt8]) {
        guard let account = requireAuthenticated(tag) else { return }
        guard let matcher = IMAPNames.pattern(reference: reference, pattern) else {
            return complete(tag, "LSUB completed.")
        }
        blocking { (try account.folders.subscriptions(), try account.folders.list()) } then: { outcome in
            switch outcome {
            case .success((let subscribed, let mailboxes)):
                let selectable = Set(mailboxes.filter(\.isSelectable).map(\.name))
                for name in subscribed.sorted() where matcher.matches(name.name) {
                    let attributes = selectable.contains(name) ? "" : "\\Noselect"
                    self.untagged("LSUB (\(attributes)) \".\" \(IMAPNames.wire(name))")
                }
                self.complete(tag, "LSUB completed.")
            case .failure(let error):
                self.fail(tag, error, "LSUB failed")
            }
        }
    }
}
