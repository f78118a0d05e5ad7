import Glibc

/// Everything Loft knows about one Maildir beyond the Maildir itself: a rebuildable cache of the
/// uidlist, the file names, the flags and the modseqs, persisted as `loft-index` (`MailboxIndexFile`).
struct MailboxIndex: Sendable {
    var uidValidity: UInt32 = 0
    var nextUID: UInt32 = 1
    var highestModSeq: UInt64
    /// A modseq no change has reached yet, persisted: after a crash the index on disk may be older
    /// than what clients saw, and starting above this keeps HIGHESTMODSEQ from going backwards.
    var modSeqCeiling: UInt64 = 0
    /// The Maildir as it was when `records` was last brought in line with it.
    var stamps: MaildirStamps?
    /// Ascending UID.
    var records: [MessageRecord] = []
    /// Parallel to `records`.
    var locations: [MessageLocation] = []
    var keywords = MaildirKeywords()

    /// An empty index whose modseqs start from the clock: a rebuilt index (`loft-index` deleted) then
    /// still starts above the modseqs handed out before, unless more than 1,000 changes a second were made
    /// on average since that index started.
    init() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        highestModSeq = UInt64(max(1, now.tv_sec)) * 1000
    }

    var state: MailboxState {
        MailboxState(uidValidity: uidValidity, nextUID: nextUID, highestModSeq: highestModSeq,
                     messages: records, keywordNames: keywords.names)
    }

    /// The message as `Maildir` describes it, for its reading and deleting calls.
    func message(at position: Int) -> MaildirMessage {
        let record = records[position]
        let location = locations[position]
        return MaildirMessage(uid: record.uid, directory: location.directory, fileName: location.fileName,
                              size: record.size, virtualSize: record.virtualSize)
    }

    mutating func append(_ record: MessageRecord, at location: MessageLocation) {
        records.append(record)
        locations.append(location)
        nextUID = max(nextUID, record.uid &+ 1)
    }

    mutating func remove(uids: Set<UInt32>) {
        var keptRecords: [MessageRecord] = []
        var keptLocations: [MessageLocation] = []
        keptRecords.reserveCapacity(records.count)
        keptLocations.reserveCapacity(records.count)
        for (record, location) in zip(records, locations) where !uids.contains(record.uid) {
            keptRecords.append(record)
            keptLocations.append(location)
        }
        records = keptRecords
        locations = keptLocations
    }
}
