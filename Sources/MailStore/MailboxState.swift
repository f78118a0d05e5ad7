/// A mailbox's state at one moment: cheap to copy (copy-on-write arrays), safe to read on any thread.
public struct MailboxState: Sendable, Equatable {
    public let uidValidity: UInt32
    public let nextUID: UInt32
    public let highestModSeq: UInt64
    /// Ascending UID.
    public let messages: [MessageRecord]
    /// Index = keyword letter offset (a=0 ...); nil for an unused letter.
    public let keywordNames: [String?]
    /// What was expunged, and when (modseq).
    public let tombstones: MailboxTombstones
    /// RFC 8474 MAILBOXID: the mailbox GUID of `dovecot-uidlist`, 32 lowercase hex digits. It moves
    /// with the folder on RENAME; a folder deleted and created again gets a new one.
    public let mailboxID: String

    public init(uidValidity: UInt32, nextUID: UInt32, highestModSeq: UInt64, messages: [MessageRecord],
                keywordNames: [String?], tombstones: MailboxTombstones? = nil, mailboxID: String) {
        self.uidValidity = uidValidity
        self.nextUID = nextUID
        self.highestModSeq = highestModSeq
        self.messages = messages
        self.keywordNames = keywordNames
        self.tombstones = tombstones ?? MailboxTombstones(floor: highestModSeq)
        self.mailboxID = mailboxID
    }

    /// The position of `uid` in `messages` (binary search), nil when it is not there.
    public func index(ofUID uid: UInt32) -> Int? {
        messages.index(ofUID: uid)
    }

    /// `index(ofUID:)`, trying `hint` first: a session's sequence number minus one is the index
    /// unless other sessions changed the mailbox since, so a FETCH of every message needs no search.
    public func index(ofUID uid: UInt32, hint: Int) -> Int? {
        messages.indices.contains(hint) && messages[hint].uid == uid ? hint : messages.index(ofUID: uid)
    }

    /// The keyword names of `record`; bits whose letter has no name are skipped.
    public func keywords(of record: MessageRecord) -> [String] {
        KeywordBits.letterOffsets(record.keywordBits).compactMap { offset in
            offset < keywordNames.count ? keywordNames[offset] : nil
        }
    }
}

extension [MessageRecord] {
    /// Binary search over records sorted by ascending UID.
    func index(ofUID uid: UInt32) -> Int? {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].uid < uid { low = middle + 1 } else { high = middle }
        }
        return low < count && self[low].uid == uid ? low : nil
    }
}
