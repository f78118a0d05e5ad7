/// The UIDs expunged from a mailbox, each with the modseq of its expunge, so that a QRESYNC
/// client coming back with an old modseq hears exactly what vanished since (RFC 7162 §3.2.5.2:
/// `VANISHED (EARLIER)`). Kept in `loft-index`; the oldest are dropped past `limit`.
public struct MailboxTombstones: Sendable, Equatable {
    /// 16 bytes each: at most 800 KB per mailbox, in memory and in `loft-index`.
    static let limit = 50_000

    /// Expunges at or below this modseq may be missing: dropped past `limit`, or made before the
    /// index existed (a new or rebuilt `loft-index` starts here).
    public private(set) var floor: UInt64
    /// Ascending modseq (and, within one modseq, ascending UID).
    private(set) var uids: [UInt32] = []
    private(set) var modSeqs: [UInt64] = []

    init(floor: UInt64) {
        self.floor = floor
    }

    init(floor: UInt64, uids: [UInt32], modSeqs: [UInt64]) {
        self.floor = floor
        self.uids = uids
        self.modSeqs = modSeqs
    }

    var count: Int { uids.count }

    /// Records `expunged` (ascending) as expunged at `modSeq`, the mailbox's new highest.
    mutating func record(_ expunged: [UInt32], modSeq: UInt64) {
        uids += expunged
        modSeqs += repeatElement(modSeq, count: expunged.count)
        if uids.count > Self.limit {
            // Drop a quarter at once, so trimming is not paid on every expunge.
            let dropped = uids.count - Self.limit * 3 / 4
            floor = max(floor, modSeqs[dropped - 1])
            uids.removeFirst(dropped)
            modSeqs.removeFirst(dropped)
        }
    }

    /// Forgets every expunge: the mailbox's UIDs started over (new UIDVALIDITY) at `modSeq`.
    mutating func reset(floor: UInt64) {
        self = MailboxTombstones(floor: floor)
    }

    /// The UIDs expunged after `modSeq`, ascending; nil when they are not all known (`modSeq` is
    /// below `floor`), and the caller must fall back to naming every UID the mailbox lacks.
    public func uids(expungedAfter modSeq: UInt64) -> [UInt32]? {
        guard modSeq >= floor else { return nil }
        // Binary search for the first expunge after `modSeq`.
        var low = 0, high = modSeqs.count
        while low < high {
            let middle = (low + high) / 2
            if modSeqs[middle] <= modSeq { low = middle + 1 } else { high = middle }
        }
        return uids[low...].sorted()
    }
}
