import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.4. INBOX cannot be deleted; a folder with children loses its messages and
    /// stays as `\Noselect`.
    func delete(_ tag: String, _ rawName: IMAPMailboxName) {
        guard let account = requireAuthenticated(tag) else { return }
        let utf8 = utf8Names
        let origin = self.origin
        mailboxOperation(tag, "DELETE") {
            let name = try IMAPNames.mailbox(rawName, utf8: utf8)
            guard !name.isInbox else { throw MailboxError.cannotDeleteInbox }
            try account.folders.delete(name.name)
            account.registry.forget(path: account.path(of: name))
            // RFC 5465 §5.4: the mailbox (now \NonExistent, or \Noselect with children) and its parent.
            Self.publishTreeChange(account, origin: origin) {
                .names(try account.folders.listing(of: [name] + name.ancestors.suffix(1)), oldName: nil)
            }
        }
    }
}
