import Glibc
import POSIXSupport

extension SharedMailbox {
    /// Blocking. Sets flags/keywords on these UIDs (missing UIDs are skipped, not errors: RFC 3501
    /// section 6.4.8) by renaming the files, gives every message that actually changed one new modseq,
    /// returns those records (ascending UID). Unknown keywords get a `dovecot-keywords` letter.
    /// - Throws: `MailStoreError.keywordLimitReached` (map to `NO [LIMIT]`) when all 26 letters are used,
    ///   before anything changed; `.system` for disk failures.
    public func store(_ uids: [UInt32], flags: MessageFlags, keywords: [String], mode: StoreMode,
                      origin: UInt64?) throws -> [MessageRecord] {
        try store(uids, flags: flags, keywords: keywords, mode: mode, unchangedSince: nil, origin: origin).changed
    }

    /// `store` with RFC 7162 §3.1.3 UNCHANGEDSINCE: a message whose modseq is above `unchangedSince`
    /// is left alone and returned in `modified`; the test and the change are one step under the
    /// mailbox lock, so no other writer can slip in between.
    public func store(_ uids: [UInt32], flags: MessageFlags, keywords: [String], mode: StoreMode,
                      unchangedSince: UInt64?, origin: UInt64?) throws -> (changed: [MessageRecord], modified: [UInt32]) {
        var modified: [UInt32] = []
        let changed = try write(origin: origin) { index in
            let mask = try keywordMask(keywords, &index, assign: mode != .remove)
            var changedUIDs = Set<UInt32>()
            var pending = Array(Set(uids)).sorted()
            if let unchangedSince {
                modified = pending.filter { uid in
                    index.records.index(ofUID: uid).map { index.records[$0].modSeq > unchangedSince } ?? false
                }
                let refused = Set(modified)
                pending.removeAll { refused.contains($0) }
            }
            for attempt in 0..<2 {
                let vanished = try rename(pending, flags: flags, mask: mask, mode: mode, in: &index,
                                          changed: &changedUIDs)
                guard !vanished.isEmpty, attempt == 0 else { break }
                // Renamed (or deleted) by another program meanwhile: catch up with the disk, try once more.
                try rescanAndPublish(&index)
                pending = vanished
            }
            // One modseq for the whole command (RFC 7162 section 3.1 allows it), above any rescan's.
            var changed: [MessageRecord] = []
            for uid in changedUIDs.sorted() {
                guard let position = index.records.index(ofUID: uid) else { continue }
                index.records[position].modSeq = index.highestModSeq
                changed.append(index.records[position])
            }
            return (changed, changed.isEmpty ? [] : [.flagsChanged(changed)], [])
        }
        return (changed, modified)
    }

    /// Renames the files of `uids` to their new flags; returns the UIDs whose file was not where the
    /// index said. Bumps `highestModSeq` once when anything changed.
    private func rename(_ uids: [UInt32], flags: MessageFlags, mask: UInt32, mode: StoreMode,
                        in index: inout MailboxIndex, changed: inout Set<UInt32>) throws -> [UInt32] {
        var vanished: [UInt32] = []
        var touched: Set<MaildirDirectory> = []
        for uid in uids {
            guard let position = index.records.index(ofUID: uid) else { continue }
            var record = index.records[position]
            switch mode {
            case .replace:
                record.flags = flags
                record.keywordBits = mask
            case .add:
                record.flags.formUnion(flags)
                record.keywordBits |= mask
            case .remove:
                record.flags.subtract(flags)
                record.keywordBits &= ~mask
            }
            let old = index.records[position]
            guard record.flags != old.flags || record.keywordBits != old.keywordBits else { continue }
            let location = index.locations[position]
            let parsed = MaildirFileName(location.fileName)
            var letters = record.flags.maildirFlags
            if parsed.flags.contains(.passed) { letters.insert(.passed) }  // no IMAP flag, but Dovecot keeps it
            let newName = MaildirFileName.format(uniqueName: parsed.uniqueName, flags: letters,
                                                 keywordLetters: KeywordBits.letters(record.keywordBits))
            expectEvents([location.fileName, newName])
            do {
                try POSIX.rename("\(path)/\(location.directory.rawValue)/\(location.fileName)", "\(path)/cur/\(newName)")
            } catch MailStoreError.system(_, _, ENOENT) {
                vanished.append(uid)
                continue
            }
            if touched.isEmpty { index.highestModSeq += 1 }
            touched.insert(location.directory)
            touched.insert(.cur)
            index.records[position] = record
            index.locations[position] = MessageLocation(directory: .cur, fileName: newName)
            changed.insert(uid)
        }
        for directory in touched.sorted(by: { $0.rawValue < $1.rawValue }) {
            try POSIX.fsyncDirectory(path + "/" + directory.rawValue)
        }
        return vanished
    }

    /// Blocking. Removes the messages (`Maildir.delete`: durable before return); returns the UIDs removed
    /// (ascending). Missing UIDs are skipped. Bumps HIGHESTMODSEQ.
    public func expunge(_ uids: [UInt32], origin: UInt64?) throws -> [UInt32] {
        try write(origin: origin) { index in
            let messages = Set(uids).sorted().compactMap { uid in
                index.records.index(ofUID: uid).map { index.message(at: $0) }
            }
            guard !messages.isEmpty else { return ([], [], []) }
            expectEvents(messages.map(\.fileName))
            try maildir.delete(messages)
            let removed = messages.map(\.uid)
            index.highestModSeq += 1
            index.remove(uids: Set(removed), modSeq: index.highestModSeq)
            cache.remove(uids: removed)
            return (removed, [.expunged(removed)], [])
        }
    }
}
