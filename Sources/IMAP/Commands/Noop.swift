extension IMAPSession {
    /// RFC 3501 §6.1.2: nothing, but pending mailbox changes are announced. The selected
    /// mailbox is checked against the disk first, so a client polling with NOOP sees changes
    /// even where the file system sends no notifications.
    func noop(_ tag: String) {
        refreshSelection { self.complete(tag, "NOOP completed.") }
    }

    /// RFC 3501 §6.4.1: the same as NOOP here (every change is on disk when it is answered).
    func check(_ tag: String) {
        guard requireSelected(tag) != nil else { return }
        refreshSelection { self.complete(tag, "CHECK completed.") }
    }

    /// Brings the selected mailbox up to date with the disk, then runs `then`.
    func refreshSelection(then: @escaping () -> Void) {
        guard let mailbox = selection?.mailbox else { return then() }
        blocking { try mailbox.refresh() } then: { outcome in
            if case .failure(let error) = outcome {
                self.connection?.logger.error("mailbox refresh failed", metadata: ["error": "\(error)"])
                self.connection?.services.metrics?.storageFailed()
            }
            then()
        }
    }
}
