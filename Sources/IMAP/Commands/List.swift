import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.8 with LIST-EXTENDED (RFC 5258) selection options SUBSCRIBED,
    /// RECURSIVEMATCH and SPECIAL-USE (RFC 6154), and return options SUBSCRIBED, CHILDREN,
    /// SPECIAL-USE and STATUS (RFC 5819). Child attributes and special uses are always sent (RFC 5258 §4, RFC 6154 §2).
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
        // RFC 5819 LIST-STATUS: a STATUS after the LIST of each selectable mailbox listed.
        let statusAttributes = command.returnOptions?.lazy.compactMap { option -> [IMAPStatusAttribute]? in
            if case .status(let attributes) = option { attributes } else { nil }
        }.first
        if statusAttributes?.contains(.highestModSeq) == true, !condStoreUsed(by: tag) { return }
        if statusAttributes?.contains(.deletedStorage) == true, !deletedStorageOffered(tag) { return }
        if statusAttributes?.contains(.mailboxID) == true, !objectIDOffered(tag) { return }
        let selectedName = selection?.name
        let selectedRecent = selection?.recent.count ?? 0
        let patterns = command.patterns.compactMap { self.namePattern(reference: command.reference, $0) }
        let selectSubscribed = command.selectionOptions.contains(.subscribed)
        let selectSpecialUse = command.selectionOptions.contains(.specialUse)
        let recursive = command.selectionOptions.contains(.recursiveMatch)
        let showSubscribed = selectSubscribed || command.returnOptions?.contains(.subscribed) == true
        blocking { () -> (mailboxes: [MailboxInfo], subscriptions: [MailboxName], statuses: [MailboxName: MailboxState]) in
            let mailboxes = try account.folders.list()
            var statuses: [MailboxName: MailboxState] = [:]
            if statusAttributes != nil {
                for info in mailboxes where info.isSelectable && patterns.contains(where: { $0.matches(info.name.name) }) {
                    // A folder removed meanwhile simply gets no STATUS.
                    statuses[info.name] = try? account.withMailbox(info.name) { $0.state }
                }
            }
            return (mailboxes, try account.folders.subscriptions(), statuses)
        } then: { outcome in
            guard case .success((var mailboxes, let subscriptions, let statuses)) = outcome else {
                if case .failure(let error) = outcome { self.fail(tag, error, "LIST failed") }
                return
            }
            let subscribedNames = Set(subscriptions)
            if selectSubscribed {
                // RFC 5258 §3.1: every subscribed name, also one whose mailbox is gone.
                let listed = Set(mailboxes.map(\.name))
                mailboxes += subscriptions.filter { !listed.contains($0) }.map(MailboxInfo.subscribedButMissing)
                mailboxes.sort { $0.name < $1.name }
            }
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
                self.untagged("LIST (\(attributes.joined(separator: " "))) \".\" \(self.wireName(info.name))\(extra)")
                if let statusAttributes, let state = statuses[info.name] {
                    let recent = info.name == selectedName ? selectedRecent : 0
                    self.untagged(self.statusResponse(info.name, statusAttributes, state, recent: recent))
                }
            }
            self.complete(tag, "LIST completed.")
        }
    }

    /// RFC 3501 §6.3.9: the subscribed names matching the pattern.
    func lsub(_ tag: String, reference: IMAPMailboxName, pattern: [UInt8]) {
        guard let account = requireAuthenticated(tag) else { return }
        guard let matcher = self.namePattern(reference: reference, pattern) else {
            return complete(tag, "LSUB completed.")
        }
        blocking { (try account.folders.subscriptions(), try account.folders.list()) } then: { outcome in
            switch outcome {
            case .success((let subscribed, let mailboxes)):
                let selectable = Set(mailboxes.filter(\.isSelectable).map(\.name))
                let subscribedNames = Set(subscribed)
                // RFC 3501 §6.3.9: a parent that `%` reaches but that is not subscribed itself is
                // listed as \Noselect when a subscribed name below it is not reached.
                var parents = Set<MailboxName>()
                for name in subscribed where !matcher.matches(name.name) {
                    parents.formUnion(name.ancestors.filter { !subscribedNames.contains($0) && matcher.matches($0.name) })
                }
                for name in subscribedNames.union(parents).sorted() where matcher.matches(name.name) {
                    let attributes = selectable.contains(name) && !parents.contains(name) ? "" : "\\Noselect"
                    self.untagged("LSUB (\(attributes)) \".\" \(self.wireName(name))")
                }
                self.complete(tag, "LSUB completed.")
            case .failure(let error):
                self.fail(tag, error, "LSUB failed")
            }
        }
    }
}
