import Glibc
import POSIXSupport

extension SharedMailbox {
    /// Blocking. Starts an APPEND streamed to disk (never buffered whole). Keywords get their letters now,
    /// so a full keyword table fails before the client sends the message.
    /// - Parameter internalDate: seconds since 1970 (the file's mtime); nil for now.
    /// - Throws: `MailStoreError.keywordLimitReached`, `.invalidKeyword`, `.system`.
    public func beginAppend(flags: MessageFlags, keywords: [String], internalDate: Int64?) throws -> MailboxAppend {
        var keywordBits: UInt32 = 0
        if !keywords.isEmpty {
            try withIndex { index in
                let before = index.keywords
                keywordBits = try keywordMask(keywords, &index, assign: true)
                if index.keywords != before { publisher.publish(index, changes: [], origin: nil) }
            }
        }
        return try MailboxAppend(mailbox: self, flags: flags, keywordBits: keywordBits, internalDate: internalDate)
    }

    /// Blocking. Places complete messages of this mailbox in `cur/` together and numbers them in order,
    /// all under one uidlist lock, so they are all visible or none is (RFC 3502 §3: MULTIAPPEND is
    /// atomic). Each is first staged (fsynced in `tmp/`) if it is not yet. On any failure the ones
    /// already placed are removed again, nothing is published, and the caller should `abort()` all of
    /// them to remove their temporary files. Returns the UIDs in the order given. Maildir has no
    /// rename of several files at once: a crash between the renames leaves the ones already moved in
    /// `cur/` without a UID, and the next scan numbers them like mail from another program.
    /// - Throws: `MailStoreError` (also when one of them was already committed or aborted).
    public func commitAppends(_ appends: [MailboxAppend], origin: UInt64?) throws -> [UInt32] {
        precondition(appends.allSatisfy { $0.mailbox === self }, "commitAppends: a message of another mailbox")
        guard !appends.isEmpty else { return [] }
        let staged = try appends.map { try $0.staged() }
        let uids = try write(origin: origin) { index in
            var added: [(record: MessageRecord, location: MessageLocation)] = []
            try withUIDList(index) { list in
                var placed: [String] = []
                do {
                    for message in staged {
                        let name = MaildirUniqueName.withSizes(message.uniqueName, size: message.sizes.size,
                                                               virtualSize: message.sizes.virtualSize)
                        let fileName = MaildirFileName.format(uniqueName: name, flags: message.flags.maildirFlags,
                                                              keywordLetters: KeywordBits.letters(message.keywordBits))
                        let finalPath = path + "/cur/" + fileName
                        expectEvents([fileName])
                        let uid = try assignUID(name, in: &list)
                        try POSIX.rename(message.temporaryPath, finalPath)
                        placed.append(finalPath)
                        let record = MessageRecord(uid: uid, flags: message.flags, keywordBits: message.keywordBits, modSeq: 0,
                                                   internalDate: message.internalDate, size: message.sizes.size,
                                                   virtualSize: message.sizes.virtualSize, emailID: EmailID(uniqueName: name))
                        added.append((record, MessageLocation(directory: .cur, fileName: fileName)))
                    }
                    try POSIX.fsyncDirectory(path + "/cur")
                    try maildir.saveUIDList(addingTo: list)
                } catch {
                    // Not durable, so not accepted: take them back out before anyone lists them.
                    for file in placed { _ = try? POSIX.unlink(file) }
                    throw error
                }
            }
            index.highestModSeq += 1
            var records: [MessageRecord] = []
            for var entry in added {
                entry.record.modSeq = index.highestModSeq
                index.append(entry.record, at: entry.location)
                records.append(entry.record)
            }
            return (records.map(\.uid), [.appended(records)], records.map(\.uid))
        }
        for append in appends { append.markCommitted() }
        let bytes = staged.reduce(Int64(0)) { $0 + Int64($1.sizes.size) }
        MaildirQuota.record(QuotaUsage(storage: bytes, messages: Int64(staged.count)), inFolder: path)
        return uids
    }
}
