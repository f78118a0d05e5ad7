import MailStore
import NIOCore

extension IMAPSession {
    /// RFC 3501 §6.3.1 SELECT and §6.3.2 EXAMINE. A failed SELECT leaves no mailbox selected.
    /// Parameters: CONDSTORE (RFC 7162 §3.1.8) and, after ENABLE QRESYNC, QRESYNC (§3.2.5).
    func select(_ tag: String, _ rawName: IMAPMailboxName, parameters: [IMAPParameter], readOnly: Bool) {
        guard let account = requireAuthenticated(tag) else { return }
        let command = readOnly ? "EXAMINE" : "SELECT"
        var resync: IMAPResync?
        for parameter in parameters {
            switch (parameter.name.uppercased(), parameter.value) {
            case ("CONDSTORE", nil):
                guard !withheldCapabilities.contains("CONDSTORE") else {
                    return bad(tag, "CONDSTORE is not offered on this connection.")
                }
                condStore = true  // the new mailbox's HIGHESTMODSEQ follows in the SELECT response
            case ("QRESYNC", .list(let values)?):
                guard qresync else { return bad(tag, "QRESYNC needs ENABLE QRESYNC first (RFC 7162 section 3.2.5).") }
                guard let parsed = IMAPResync(values) else { return bad(tag, "Malformed QRESYNC parameter.") }
                resync = parsed
            default:
                return bad(tag, "\(command) parameter \(parameter.name) is not supported.")
            }
        }
        let name: MailboxName
        do {
            name = try self.mailboxName(rawName)
        } catch {
            closeSelection(announcing: true)
            return fail(tag, error, "Cannot select \(rawName)")
        }
        closeSelection(announcing: true)
        let listed = imap4rev2
        blocking { () -> (SharedMailbox, MailboxState, Set<UInt32>, MailboxInfo?) in
            let mailbox = try account.open(name)
            // RFC 9051 §6.3.2: an IMAP4rev2 client is told the mailbox's LIST attributes too.
            let info = listed ? try? account.folders.list().first { $0.name == name } : nil
            // RFC 3501 §6.3.2: EXAMINE never takes \Recent away from other sessions.
            return (mailbox, mailbox.state, readOnly ? [] : mailbox.claimRecent(), info)
        } then: { outcome in
            switch outcome {
            case .success((let mailbox, let state, let recent, let info)):
                self.selected(tag, name, mailbox, state, recent: recent, info: info, readOnly: readOnly, resync: resync)
            case .failure(let error):
                self.fail(tag, error, "Cannot select \(name)")
            }
        }
    }

    private func selected(_ tag: String, _ name: MailboxName, _ mailbox: SharedMailbox, _ state: MailboxState,
                          recent: Set<UInt32>, info: MailboxInfo?, readOnly: Bool, resync: IMAPResync?) {
        guard let connection, self.state == .authenticated else {
            account?.close(mailbox)
            return
        }
        let selection = IMAPSelection(name: name, mailbox: mailbox, readOnly: readOnly, state: state, recent: recent)
        let bound = NIOLoopBound((session: self, selection: selection), eventLoop: connection.eventLoop)
        let eventLoop = connection.eventLoop
        let origin = self.origin
        let ownAppends = selection.ownAppends
        selection.observe { change in
            if change.origin == origin, case .appended(let records) = change.kind { ownAppends.insert(records.map(\.uid)) }
            eventLoop.execute { bound.value.session.mailboxChanged(in: bound.value.selection, change) }
        }
        self.selection = selection
        savedResult = []  // RFC 5182 §2.1
        self.state = .selected
        for line in selection.flagsAnnouncement() { untagged(line) }
        untagged("\(selection.count) EXISTS")
        if imap4rev2 {
            // RFC 9051 §6.3.2: LIST instead of RECENT and UNSEEN, which IMAP4rev2 dropped (Appendix E).
            selection.reportsRecent = false
            let attributes = info?.attributes.joined(separator: " ") ?? ""
            untagged("LIST (\(attributes)) \".\" \(wireName(name))")
        } else {
            untagged("\(recent.count) RECENT")
            if let firstUnseen = state.messages.firstIndex(where: { !$0.flags.contains(.seen) }) {
                untagged("OK [UNSEEN \(firstUnseen + 1)] First unseen.")
            }
        }
        untagged("OK [UIDVALIDITY \(state.uidValidity)] UIDs valid.")
        untagged("OK [UIDNEXT \(state.nextUID)] Predicted next UID.")
        if offersObjectIDs { untagged("OK [MAILBOXID (\(state.mailboxID))] Mailbox id.") }  // RFC 8474 §4.2
        // RFC 7162 §3.1.2.1: with persistent mod-sequences, every SELECT and EXAMINE says this
        // (unless CONDSTORE is withheld here: then nothing of it is shown).
        if !withheldCapabilities.contains("CONDSTORE") { untagged("OK [HIGHESTMODSEQ \(state.highestModSeq)] Highest.") }
        // RFC 7162 §3.2.5.1: what changed since the client's last visit, if its UIDVALIDITY holds.
        if let resync, resync.uidValidity == state.uidValidity {
            let known = resync.knownUIDs ?? IMAPSequenceSet([.init(.number(1), .last)])
            if let vanished = IMAPVanishedUIDs.text(in: known, state, since: resync.modSeq) {
                untagged("VANISHED (EARLIER) " + vanished)
            }
            for (offset, record) in state.messages.enumerated() where record.modSeq > resync.modSeq {
                untagged("\(offset + 1) FETCH (UID \(record.uid) FLAGS \(selection.flagList(record, state)) MODSEQ (\(record.modSeq)))")
            }
        }
        complete(tag, code: readOnly ? "READ-ONLY" : "READ-WRITE", "\(readOnly ? "EXAMINE" : "SELECT") completed.")
    }

    /// RFC 3691 UNSELECT: leaves the mailbox without expunging.
    func unselect(_ tag: String) {
        guard requireSelected(tag) != nil else { return }
        closeSelection()
        complete(tag, "UNSELECT completed.")
    }

    /// RFC 3501 §6.4.2: silently expunges \Deleted messages (unless read-only), then leaves.
    func close(_ tag: String) {
        guard let selection = requireSelected(tag) else { return }
        guard !selection.readOnly else {
            closeSelection()
            return complete(tag, "CLOSE completed.")
        }
        let mailbox = selection.mailbox
        let origin = self.origin
        let uids = selection.uids
        blocking {
            let state = mailbox.state
            let deleted = uids.filter { uid in state.index(ofUID: uid).map { state.messages[$0].flags.contains(.deleted) } ?? false }
            _ = try mailbox.expunge(deleted, origin: origin)
        } then: { outcome in
            self.closeSelection()
            switch outcome {
            case .success: self.complete(tag, "CLOSE completed.")
            case .failure(let error): self.fail(tag, error, "CLOSE could not expunge")
            }
        }
    }
}
