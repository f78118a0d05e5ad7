import MailStore

/// One SORT or THREAD over a session's view: the SEARCH it sorts (`IMAPSearchRun`, so criteria
/// behave exactly as in SEARCH), then the sort keys of each match, read from the header only
/// when a key needs it. Evaluated a range of messages at a time on the disk pool.
struct IMAPSortRun: Sendable {
    /// Reports sequence numbers (`byUID` false); the session maps them to UIDs at the end.
    let search: IMAPSearchRun
    let extractor: IMAPSortKeyExtractor

    /// Blocking. The keys of the matches among `search.uids[range]`, and the highest mod-sequence among them.
    func collect(_ range: Range<Int>) -> (keys: [IMAPSortKeys], highestModSeq: UInt64) {
        let part = search.evaluate(range)
        let state = search.mailbox.state
        var keys: [IMAPSortKeys] = []
        keys.reserveCapacity(part.found.count)
        for sequenceNumber in part.found {
            let offset = Int(sequenceNumber) - 1
            let uid = search.uids[offset]
            guard let index = state.index(ofUID: uid, hint: offset) else { continue }
            let record = state.messages[index]
            // A message expunged meanwhile by another session sorts as if it had no header.
            let header = extractor.needsHeader ? try? IMAPHeaderReader.header(of: uid, in: search.mailbox) : nil
            keys.append(
                extractor.keys(
                    header: header, sequenceNumber: sequenceNumber, internalDate: record.internalDate, size: record.virtualSize))
        }
        return (keys, part.highestModSeq)
    }
}
