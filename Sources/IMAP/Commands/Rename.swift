import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.5, including the INBOX rule (its messages move, INBOX stays, empty).
    func rename(_ tag: String, from: IMAPMailboxName, to: IMAPMailboxName, parameters: [IMAPParameter]) {
        guard let account = requireAuthenticated(tag) else { return }
        let utf8 = utf8Names
        guard parameters.isEmpty else { return bad(tag, "RENAME parameters are not supported.") }
        let origin = self.origin
        mailboxOperation(tag, "RENAME") {
            let source = try IMAPNames.mailbox(from, utf8: utf8)
            let target = try IMAPNames.mailbox(to, utf8: utf8)
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
