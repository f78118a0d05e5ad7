import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.5, including the INBOX rule (its messages move, INBOX stays, empty).
    func rename(_ tag: String, from: IMAPMailboxName, to: IMAPMailboxName, parameters: [IMAPParameter]) {
        guard let account = requireAuthenticated(tag) else { return }
        guard parameters.isEmpty else { return bad(tag, "RENAME parameters are not supported.") }
        let origin = self.origin
        mailboxOperation(tag, "RENAME") {
            let source = try IMAPNames.mailbox(from)
            let target = try IMAPNames.mailbox(to)
            guard !target.isInbox else { throw MailboxError.alreadyExists("INBOX") }
            try account.folders.rename(source.name, to: target.name)
            account.registry.forget(path: account.path(of: source))
            // RFC 5465 §5.4: the new name with OLDNAME (children are not reported); INBOX stays, so
            // its rename only creates the new mailbox.
            Self.publishTreeChange(account, origin: origin) {
                .names(try account.folders.listing(of: [target]), oldName: source.isInbox ? nil : source)
            }
        }
    }
}
