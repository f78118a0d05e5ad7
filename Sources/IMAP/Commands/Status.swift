import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.10, with SIZE (RFC 8438) and DELETED (RFC 9051). \Recent belongs to the
    /// session that selected a mailbox first, so RECENT is this session's count when the
    /// mailbox is selected here, else 0.
    func status(_ tag: String, _ rawName: IMAPMailboxName, _ attributes: [IMAPStatusAttribute]) {
        guard let account = requireAuthenticated(tag) else { return }
        if attributes.contains(.highestModSeq), !condStoreUsed(by: tag) { return }
        if attributes.contains(.deletedStorage), !deletedStorageOffered(tag) { return }
        if attributes.contains(.mailboxID), !objectIDOffered(tag) { return }
        let name: MailboxName
        do {
            name = try self.mailboxName(rawName)
        } catch {
            return fail(tag, error, "STATUS failed")
        }
        let selectedRecent = selection?.name == name ? selection?.recent.count : nil
        blocking { try account.withMailbox(name) { $0.state } } then: { outcome in
            switch outcome {
            case .success(let state):
                self.untagged(self.statusResponse(name, attributes, state, recent: selectedRecent ?? 0))
                self.complete(tag, "STATUS completed.")
            case .failure(let error):
                self.fail(tag, error, "STATUS failed")
            }
        }
    }

    /// `STATUS name (ITEM value ...)` (RFC 3501 §7.2.4), also sent by LIST-STATUS.
    func statusResponse(_ name: MailboxName, _ attributes: [IMAPStatusAttribute], _ state: MailboxState,
                               recent: Int) -> String {
        let items = attributes.map { attribute -> String in
            let value: Int
            switch attribute {
            case .messages: value = state.messages.count
            case .recent: value = recent
            case .uidNext: value = Int(state.nextUID)
            case .uidValidity: value = Int(state.uidValidity)
            case .unseen: value = state.messages.count { !$0.flags.contains(.seen) }
            case .deleted: value = state.messages.count { $0.flags.contains(.deleted) }
            case .size: value = state.messages.reduce(0) { $0 + $1.virtualSize }
            case .highestModSeq: value = Int(state.highestModSeq)
            // RFC 9208 §4.2: what EXPUNGE would free, as the sum of the RFC822.SIZEs of \Deleted messages.
            case .deletedStorage: value = state.messages.reduce(0) { $0 + ($1.flags.contains(.deleted) ? $1.virtualSize : 0) }
            case .mailboxID: return "MAILBOXID (\(state.mailboxID))"  // RFC 8474 §4.3
            }
            return "\(attribute.rawValue) \(value)"
        }
        return "STATUS \(self.wireName(name)) (\(items.joined(separator: " ")))"
    }
}
