import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.4. INBOX cannot be deleted; a folder with children loses its messages and
    /// stays as `\Noselect`.
    func delete(_ tag: String, _ rawName: IMAPMailboxName) {
        guard let account = requireAuthenticated(tag) else { return }
        let utf8 = utf8Names
        mailboxOperation(tag, "DELETE") {
            let name = try IMAPNames.mailbox(rawName, utf8: utf8)
            guard !name.isInbox else { throw MailboxError.cannotDeleteInbox }
            try account.folders.delete(name.name)
            account.registry.forget(path: account.path(of: name))
        }
    }
}
