extension IMAPSession {
    /// RFC 3501 §6.3.6 SUBSCRIBE and §6.3.7 UNSUBSCRIBE.
    func subscribe(_ tag: String, _ rawName: IMAPMailboxName, subscribe: Bool) {
        guard let account = requireAuthenticated(tag) else { return }
        let utf8 = utf8Names
        let origin = self.origin
        mailboxOperation(tag, subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE") {
            let name = try IMAPNames.mailbox(rawName, utf8: utf8)
            if subscribe {
                try account.folders.subscribe(name.name)
            } else {
                try account.folders.unsubscribe(name.name)
            }
            Self.publishTreeChange(account, origin: origin) {
                .subscription(try account.folders.listing(of: [name])[0])  // RFC 5465 §5.5
            }
        }
    }
}
