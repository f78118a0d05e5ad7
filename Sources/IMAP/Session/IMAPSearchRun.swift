import MailStore

/// One SEARCH over a session's view, evaluated a range of messages at a time on the disk pool.
struct IMAPSearchRun: Sendable {
    /// The session's view when the search began; results use its sequence numbers.
    let uids: [UInt32]
    let mailbox: SharedMailbox
    let recent: Set<UInt32>
    let evaluator: IMAPSearchEvaluator
    let byUID: Bool

    /// Blocking. The matches among `uids[range]` (UIDs or sequence numbers) and the highest
    /// mod-sequence among them.
    func evaluate(_ range: Range<Int>) -> (found: [UInt32], highestModSeq: UInt64) {
        let state = mailbox.state
        var found: [UInt32] = []
        var highestModSeq: UInt64 = 0
        for offset in range {
            let messageUID = uids[offset]
            guard let index = state.index(ofUID: messageUID, hint: offset) else { continue }
            let record = state.messages[index]
            var systemFlags = Set<String>()
            if record.flags.contains(.seen) { systemFlags.insert("seen") }
            if record.flags.contains(.answered) { systemFlags.insert("answered") }
            if record.flags.contains(.flagged) { systemFlags.insert("flagged") }
            if record.flags.contains(.deleted) { systemFlags.insert("deleted") }
            if record.flags.contains(.draft) { systemFlags.insert("draft") }
            if recent.contains(messageUID) { systemFlags.insert("recent") }
            let message = IMAPSearchMessage(
                sequenceNumber: UInt32(offset + 1), uid: messageUID, systemFlags: systemFlags,
                keywords: state.keywords(of: record), internalDate: record.internalDate, virtualSize: record.virtualSize,
                modSeq: record.modSeq, emailID: record.emailID)
            var content: IMAPMessageContent?
            if evaluator.needsContent {
                // A message expunged meanwhile simply does not match.
                guard let bytes = try? searchedBytes(of: messageUID) else { continue }
                content = IMAPMessageContent(storedBytes: bytes)
            }
            if evaluator.matches(message, content: content) {
                found.append(byUID ? messageUID : UInt32(offset + 1))
                highestModSeq = max(highestModSeq, record.modSeq)
            }
        }
        return (found, highestModSeq)
    }

    /// What a SEARCH must read of a message: the header alone unless a key looks at the body.
    private func searchedBytes(of uid: UInt32) throws -> [UInt8] {
        try evaluator.needsBody ? mailbox.readMessage(uid: uid) : IMAPHeaderReader.header(of: uid, in: mailbox)
    }
}
