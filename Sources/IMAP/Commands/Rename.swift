import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.5, including the INBOX rule (its messages move, INBOX stays, empty).
    func rename(_ tag: String, from: IMAPMailboxName, to: IMAPMailboxName, parameters: [IMAPParameter]) {
        guard let account = requireAuthenticated(tag) else { return }
        guard parameters.isEmpty else { return bad(tag, "RENAME parameters are not supported.") }
        mailboxOperation(tag, "RENAME") {
            let source = try IMAPNames.mailbox(from)
            let target = try IMAPNames.mailbox(to)
            guard !target.isInbox else { throw MailboxError.alreadyExists("INBOX") }
            try account.folders.rename(source.name, to: target.name)
            account.registry.forget(path: account.path(of: source))
        }
    }
}
