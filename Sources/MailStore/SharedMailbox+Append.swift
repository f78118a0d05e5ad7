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

    /// Moves a complete, fsynced file from `tmp/` into `cur/` and gives it the next UID, both under the
    /// uidlist lock (no other process's sync can number it first).
    func commitAppend(temporaryPath: String, uniqueName: String, sizes: MessageSizeCounter, flags: MessageFlags,
                      keywordBits: UInt32, internalDate: Int64, origin: UInt64?) throws -> UInt32 {
        let uid = try write(origin: origin) { index in
            let name = MaildirUniqueName.withSizes(uniqueName, size: sizes.size, virtualSize: sizes.virtualSize)
            let fileName = MaildirFileName.format(uniqueName: name, flags: flags.maildirFlags,
                                                  keywordLetters: KeywordBits.letters(keywordBits))
            let finalPath = path + "/cur/" + fileName
            expectEvents([fileName])
            let uid = try withUIDList(index) { list in
                let uid = try assignUID(name, in: &list)
                try POSIX.rename(temporaryPath, finalPath)
                do {
                    try POSIX.fsyncDirectory(path + "/cur")
                    try maildir.saveUIDList(addingTo: list)
                } catch {
                    // Not durable, so not accepted: take it back out before anyone lists it.
                    _ = try? POSIX.unlink(finalPath)
                    throw error
                }
                return uid
            }
            index.highestModSeq += 1
            let record = MessageRecord(uid: uid, flags: flags, keywordBits: keywordBits, modSeq: index.highestModSeq,
                                       internalDate: internalDate, size: sizes.size, virtualSize: sizes.virtualSize)
            index.append(record, at: MessageLocation(directory: .cur, fileName: fileName))
            return (uid, [.appended([record])], [uid])
        }
        MaildirQuota.record(QuotaUsage(storage: Int64(sizes.size), messages: 1), inFolder: path)
        return uid
    }
}
