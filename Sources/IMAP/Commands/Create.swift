extension IMAPSession {
    /// RFC 3501 §6.3.3. A trailing `.` is dropped (it only announces children to come).
    func create(_ tag: String, _ rawName: IMAPMailboxName, parameters: [IMAPParameter]) {
        guard let account = requireAuthenticated(tag) else { return }
        guard parameters.isEmpty else { return bad(tag, "CREATE parameters are not supported.") }
        mailboxOperation(tag, "CREATE") {
            let name = try IMAPNames.mailbox(rawName)
            guard !name.isInbox else { throw MailboxError.alreadyExists("INBOX") }
            _ = try account.folders.create(name.name)
        }
    }

    /// Runs a folder operation on the disk pool and answers OK or the reason it failed.
    func mailboxOperation(_ tag: String, _ command: String, _ work: @escaping @Sendable () throws -> Void) {
        blocking(work) { outcome in
            switch outcome {
            case .success: self.complete(tag, "\(command) completed.")
            case .failure(let error): self.fail(tag, error, "\(command) failed")
            }
        }
    }
}

import MailStore
