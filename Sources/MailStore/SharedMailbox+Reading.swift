extension SharedMailbox {
    /// Blocking. The stored file, for chunked reads (follows renames by other sessions).
    /// - Throws: `MailStoreError.messageVanished` when the UID is not (or no longer) in the mailbox.
    public func openMessage(uid: UInt32) throws -> MessageFileReader {
        try maildir.openMessage(try message(uid: uid))
    }

    /// Blocking. The whole stored file.
    public func readMessage(uid: UInt32) throws -> [UInt8] {
        try maildir.read(try message(uid: uid))
    }

    private func message(uid: UInt32) throws -> MaildirMessage {
        guard let message = publisher.message(uid: uid) else {
            throw MailStoreError.messageVanished(uid: uid, uniqueName: "", maildir: path)
        }
        return message
    }
}
