import MailStore

extension IMAPSession {
    /// RFC 3501 §6.4.6 STORE / UID STORE: FLAGS, +FLAGS, -FLAGS (.SILENT), system flags and
    /// keywords. Messages another session expunged meanwhile are skipped (RFC 3501 §6.4.8).
    func store(_ tag: String, _ set: IMAPSequenceSet, _ action: IMAPStoreAction, uid: Bool) {
        guard let selection = requireSelected(tag) else { return }
        guard !selection.readOnly else { return complete(tag, .no, code: "READ-ONLY", "The mailbox is read-only.") }
        var flags = MessageFlags()
        var keywords: [String] = []
        for flag in action.flags {
            switch flag {
            case .seen: flags.insert(.seen)
            case .answered: flags.insert(.answered)
            case .flagged: flags.insert(.flagged)
            case .deleted: flags.insert(.deleted)
            case .draft: flags.insert(.draft)
            case .keyword(let name): keywords.append(name)
            case .extension(let name):
                return bad(tag, "\\\(name) cannot be stored (RFC 3501 section 2.3.2).")
            }
        }
        guard uid || sequenceSetIsValid(set, selection) else { return bad(tag, "Invalid message sequence numbers.") }
        let targets = messages(in: set, uid: uid, selection)
        let mode: StoreMode = switch action.mode {
        case .replace: .replace
        case .add: .add
        case .remove: .remove
        }
        let mailbox = selection.mailbox
        let origin = self.origin
        let (storedFlags, storedKeywords) = (flags, keywords)
        blocking { () -> (changed: [MessageRecord], state: MailboxState) in
            let changed = try mailbox.store(
                targets.map(\.uid), flags: storedFlags, keywords: storedKeywords, mode: mode, origin: origin)
            return (changed, mailbox.state)
        } then: { outcome in
            switch outcome {
            case .success((let changed, let state)):
                selection.recordOwnChanges(changed)
                if !action.silent {
                    for target in targets {
                        guard let index = state.index(ofUID: target.uid) else { continue }
                        let uidItem = uid ? "UID \(target.uid) " : ""
                        self.untagged(
                            "\(target.sequenceNumber) FETCH (\(uidItem)FLAGS \(selection.flagList(state.messages[index], state)))")
                    }
                }
                self.complete(tag, "STORE completed.", expunges: uid)
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
