import MailStore

extension IMAPSession {
    /// RFC 3501 §6.4.6 STORE / UID STORE: FLAGS, +FLAGS, -FLAGS (.SILENT), system flags and
    /// keywords. Messages another session expunged meanwhile are skipped (RFC 3501 §6.4.8).
    ///
    /// CONDSTORE (RFC 7162 §3.1.3): `(UNCHANGEDSINCE n)` leaves alone every message changed after
    /// n and names them in `OK [MODIFIED set]`; with CONDSTORE on, the responses carry MODSEQ, and
    /// a message the command changed is reported even with .SILENT.
    func store(_ tag: String, _ set: IMAPSequenceSet, _ action: IMAPStoreAction, uid: Bool, unchangedSince: UInt64?) {
        guard let selection = requireSelected(tag) else { return }
        guard !selection.readOnly else { return complete(tag, .no, code: "READ-ONLY", "The mailbox is read-only.") }
        let flags = IMAPStoredFlags(action.flags)
        if let refused = flags.refused { return bad(tag, "\(refused) cannot be stored (RFC 3501 section 2.3.2).") }
        guard uid || sequenceSetIsValid(set, selection) else { return bad(tag, "Invalid message sequence numbers.") }
        if unchangedSince != nil, !condStoreUsed(by: tag) { return }
        let targets = messages(in: set, uid: uid, selection)
        let mode: StoreMode = switch action.mode {
        case .replace: .replace
        case .add: .add
        case .remove: .remove
        }
        let mailbox = selection.mailbox
        let origin = self.origin
        let (storedFlags, storedKeywords) = (flags.system, flags.keywords)
        blocking { () -> (changed: [MessageRecord], modified: [UInt32], state: MailboxState) in
            let result = try mailbox.store(
                targets.map(\.uid), flags: storedFlags, keywords: storedKeywords, mode: mode, unchangedSince: unchangedSince,
                origin: origin)
            return (result.changed, result.modified, mailbox.state)
        } then: { outcome in
            switch outcome {
            case .success((let changed, let modified, let state)):
                selection.recordOwnChanges(changed)
                let changedUIDs = Set(changed.map(\.uid))
                let refused = Set(modified)
                for target in targets where !refused.contains(target.uid) {
                    guard let index = state.index(ofUID: target.uid) else { continue }
                    let record = state.messages[index]
                    let reportSilently = self.condStore && changedUIDs.contains(target.uid)
                    guard !action.silent || reportSilently else { continue }
                    var items: [String] = uid ? ["UID \(target.uid)"] : []
                    if !action.silent { items.append("FLAGS \(selection.flagList(record, state))") }
                    if self.condStore { items.append("MODSEQ (\(record.modSeq))") }
                    self.untagged("\(target.sequenceNumber) FETCH (\(items.joined(separator: " ")))")
                }
                if modified.isEmpty {
                    self.complete(tag, "STORE completed.", expunges: uid)
                } else {
                    let numbers = targets.filter { refused.contains($0.uid) }.map { uid ? $0.uid : UInt32($0.sequenceNumber) }
                    self.complete(tag, code: "MODIFIED \(IMAPUIDSet.text(numbers))",
                                  "Conditional STORE failed for messages changed since.", expunges: uid)
                }
            case .failure(let error):
                self.fail(tag, error, "STORE failed")
            }
        }
    }

    /// The messages of the view a command names, by sequence number or by UID (a UID set
    /// ignores UIDs the view does not have, RFC 3501 §6.4.8).
    func messages(in set: IMAPSequenceSet, uid: Bool, _ selection: IMAPSelection) -> [(sequenceNumber: Int, uid: UInt32)] {
        let uids = selection.uids
        if uid {
            let last = uids.last ?? 0
            var result: [(sequenceNumber: Int, uid: UInt32)] = []
            for (index, uid) in uids.enumerated() where set.contains(uid, last: last) {
                result.append((index + 1, uid))
            }
            return result
        }
        return set.members(upTo: UInt32(uids.count)).map { (Int($0), uids[Int($0) - 1]) }
    }

    /// RFC 3501 §9: a sequence set naming a number beyond the mailbox is an error for
    /// sequence-number commands.
    func sequenceSetIsValid(_ set: IMAPSequenceSet, _ selection: IMAPSelection) -> Bool {
        let count = UInt32(selection.count)
        return set.ranges.allSatisfy { range in
            [range.first, range.second].allSatisfy { bound in
                if case .number(let number) = bound { return number >= 1 && number <= count }
                return count > 0
            }
        }
    }
}
