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
    var tombstones: MailboxTombstones
    /// The uidlist's mailbox GUID (RFC 8474 MAILBOXID).
    var mailboxGUID = ""

    /// An empty index whose modseqs start from the clock in microseconds: a rebuilt index
    /// (`loft-index` deleted) then still starts above the modseqs handed out before (RFC 7162 §3.1:
    /// they never go back), unless the mailbox made more than one change, or one reservation of
    /// `modSeqReservation` per reopening, per microsecond on average since its index started.
    /// 2^63 microseconds is 292,000 years: no overflow to fear.
    init() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        highestModSeq = UInt64(max(1, now.tv_sec)) * 1_000_000 + UInt64(max(0, now.tv_nsec) / 1000)
        tombstones = MailboxTombstones(floor: highestModSeq)
    }

    var state: MailboxState {
        MailboxState(uidValidity: uidValidity, nextUID: nextUID, highestModSeq: highestModSeq,
                     messages: records, keywordNames: keywords.names, tombstones: tombstones,
                     mailboxID: mailboxGUID)
    }

    /// The message as `Maildir` describes it, for its reading and deleting calls.
    func message(at position: Int) -> MaildirMessage {
        let record = records[position]
        let location = locations[position]
        return MaildirMessage(uid: record.uid, directory: location.directory, fileName: location.fileName,
                              size: record.size, virtualSize: record.virtualSize, emailID: record.emailID)
    }

    mutating func append(_ record: MessageRecord, at location: MessageLocation) {
        records.append(record)
        locations.append(location)
        nextUID = max(nextUID, record.uid &+ 1)
    }

    /// Removes the records of `uids` and remembers them as expunged at `modSeq`.
    mutating func remove(uids: Set<UInt32>, modSeq: UInt64) {
        tombstones.record(uids.sorted(), modSeq: modSeq)
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
