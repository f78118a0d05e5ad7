import Glibc
import POSIXSupport

extension SharedMailbox {
    /// Blocking. Copies messages into `target` (hard link where possible, else a copy; fsynced), keeping
    /// flags, keywords (by name: the target's `dovecot-keywords` may use other letters) and internal dates.
    /// Returns (source UID, new target UID) pairs in source-UID order, for COPYUID (RFC 4315). Missing UIDs
    /// (also files gone meanwhile) are skipped.
    /// - Throws: `MailStoreError.keywordLimitReached` when the target has no letters left (nothing copied).
    public func copy(_ uids: [UInt32], to target: SharedMailbox, origin: UInt64?) throws
        -> [(source: UInt32, target: UInt32)] {
        // Read from the published state: the source's writers' lock is never held with the target's, so
        // two copies in opposite directions cannot deadlock.
        let state = self.state
        let items: [CopiedMessage] = Set(uids).sorted().compactMap { uid in
            guard let position = state.index(ofUID: uid), let message = publisher.message(uid: uid) else { return nil }
            let record = state.messages[position]
            return CopiedMessage(record: record, message: message, keywords: state.keywords(of: record))
        }
        guard !items.isEmpty else { return [] }
        return try target.receive(items, from: self, origin: origin)
    }

    /// Blocking: copy, then expunge the sources (RFC 6851 MOVE). Returns the same pairs.
    public func move(_ uids: [UInt32], to target: SharedMailbox, origin: UInt64?) throws
        -> [(source: UInt32, target: UInt32)] {
        let pairs = try copy(uids, to: target, origin: origin)
        _ = try expunge(pairs.map(\.source), origin: origin)
        return pairs
    }

    /// The target side of `copy`: links the files into `cur/` and numbers them under the uidlist lock.
    private func receive(_ items: [CopiedMessage], from source: SharedMailbox, origin: UInt64?) throws
        -> [(source: UInt32, target: UInt32)] {
        var counted = QuotaUsage.zero  // what was placed, for the quota (recorded once the write is done)
        defer { MaildirQuota.record(counted, inFolder: path) }
        return try write(origin: origin) { index in
            _ = try keywordMask(Array(Set(items.flatMap(\.keywords))), &index, assign: true)
            let added = try withUIDList(index) { list in
                var added: [(source: UInt32, record: MessageRecord, location: MessageLocation)] = []
                var placed: [String] = []
                do {
                    for item in items {
                        let name = MaildirUniqueName.withSizes(MaildirUniqueName.makeSequential(),
                                                               size: item.record.size, virtualSize: item.record.virtualSize)
                        var letters = item.record.flags.maildirFlags
                        if item.message.flags.contains(.passed) { letters.insert(.passed) }
                        let mask = KeywordBits.mask(ofLetters: item.keywords.compactMap { index.keywords.letter(for: $0) })
                        let fileName = MaildirFileName.format(uniqueName: name, flags: letters,
                                                              keywordLetters: KeywordBits.letters(mask))
                        let destination = path + "/cur/" + fileName
                        expectEvents([fileName])
                        guard try link(item, from: source, to: destination) else { continue }
                        placed.append(destination)
                        if let info = try POSIX.fileStatus(destination), Int64(info.st_mtim.tv_sec) != item.record.internalDate {
                            try ModificationTime.set(destination, seconds: item.record.internalDate)
                        }
                        // RFC 8474 §5.1: the copy keeps the EMAILID, as the message GUID in `G` (see `EmailID`).
                        let uid = try assignUID(name, in: &list, messageGUID: item.record.emailID.description)
                        let record = MessageRecord(uid: uid, flags: item.record.flags, keywordBits: mask, modSeq: 0,
                                                   internalDate: item.record.internalDate, size: item.record.size,
                                                   virtualSize: item.record.virtualSize, emailID: item.record.emailID)
                        added.append((item.record.uid, record, MessageLocation(directory: .cur, fileName: fileName)))
                    }
                    if !added.isEmpty {
                        try POSIX.fsyncDirectory(path + "/cur")
                        try maildir.saveUIDList(addingTo: list)
                    }
                } catch {
                    for file in placed { _ = try? POSIX.unlink(file) }
                    throw error
                }
                return added
            }
            guard !added.isEmpty else { return ([], [], []) }
            for entry in added { counted = counted + QuotaUsage(storage: Int64(entry.record.size), messages: 1) }
            index.highestModSeq += 1
            var records: [MessageRecord] = []
            for var entry in added {
                entry.record.modSeq = index.highestModSeq
                index.append(entry.record, at: entry.location)
                records.append(entry.record)
            }
            return (added.map { ($0.source, $0.record.uid) }, [.appended(records)], records.map(\.uid))
        }
    }

    /// Links (or copies) the source file to `destination`; false when the source is gone. A file renamed
    /// by another session meanwhile is found again through the source's current state.
    private func link(_ item: CopiedMessage, from source: SharedMailbox, to destination: String) throws -> Bool {
        var message: MaildirMessage? = item.message
        for _ in 0..<2 {
            guard let current = message else { return false }
            do {
                try POSIX.linkOrCopy(source.path + "/" + current.relativePath, destination)
                return true
            } catch MailStoreError.system(_, _, ENOENT) {
                let latest = source.publisher.message(uid: item.record.uid)
                message = latest?.fileName == current.fileName ? nil : latest
            }
        }
        return false
    }
}
