import MailStore

extension IMAPSession {
    /// RFC 3501 §6.4.4 SEARCH and §6.4.8 UID SEARCH, over this session's view. Keys that need
    /// the message (headers, body, SENT*) read and parse each candidate on the disk pool.
    func search(_ tag: String, _ command: IMAPSearchCommand, uid: Bool) {
        guard let selection = requireSelected(tag) else { return }
        let uids = selection.uids
        let evaluator: IMAPSearchEvaluator
        do {
            evaluator = try IMAPSearchEvaluator(command, lastSequenceNumber: UInt32(uids.count), lastUID: uids.last ?? 0)
        } catch {
            return complete(tag, .no, code: "BADCHARSET (US-ASCII UTF-8)", "Unsupported charset.", expunges: uid)
        }
        let mailbox = selection.mailbox
        let recent = selection.recent
        let reportsModSeq = IMAPSearchEvaluator.usesModSeq(command.key)
        if reportsModSeq, !condStoreUsed(by: tag) { return }
        blocking { () -> (found: [UInt32], highestModSeq: UInt64) in
            let state = mailbox.state
            var found: [UInt32] = []
            var highestModSeq: UInt64 = 0
            for (offset, messageUID) in uids.enumerated() {
                guard let index = state.index(ofUID: messageUID) else { continue }
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
                    modSeq: record.modSeq)
                var content: IMAPMessageContent?
                if evaluator.needsContent {
                    // A message expunged meanwhile simply does not match.
                    guard let bytes = try? Self.searchedBytes(of: messageUID, in: mailbox, wholeMessage: evaluator.needsBody)
                    else { continue }
                    content = IMAPMessageContent(storedBytes: bytes)
                }
                if evaluator.matches(message, content: content) {
                    found.append(uid ? messageUID : UInt32(offset + 1))
                    highestModSeq = max(highestModSeq, record.modSeq)
                }
            }
            return (found, highestModSeq)
        } then: { outcome in
            switch outcome {
            case .success((let found, let highestModSeq)):
                // RFC 7162 §3.1.5: a search on MODSEQ reports the highest mod-sequence it matched.
                let modSeq = reportsModSeq && !found.isEmpty ? highestModSeq : nil
                if let options = command.returnOptions {
                    self.untagged(Self.extendedSearchResponse(tag: tag, found, options: options, uid: uid, modSeq: modSeq))
                } else {
                    let numbers = found.isEmpty ? "SEARCH" : "SEARCH " + found.map(String.init).joined(separator: " ")
                    self.untagged(numbers + (modSeq.map { " (MODSEQ \($0))" } ?? ""))
                }
                self.complete(tag, "SEARCH completed.", expunges: uid)
            case .failure(let error):
                self.fail(tag, error, "SEARCH failed")
            }
        }
    }

    /// What a SEARCH must read of a message: the header alone unless a key looks at the body.
    private static func searchedBytes(of uid: UInt32, in mailbox: SharedMailbox, wholeMessage: Bool) throws -> [UInt8] {
        try wholeMessage ? mailbox.readMessage(uid: uid) : IMAPHeaderReader.header(of: uid, in: mailbox)
    }

    /// RFC 4731 §3.1: `* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set`, in that order,
    /// only what was asked (an empty RETURN list means ALL); MIN, MAX and ALL are left out
    /// when nothing matched.
    static func extendedSearchResponse(
        tag: String, _ found: [UInt32], options: [IMAPSearchReturnOption], uid: Bool, modSeq: UInt64?
    ) -> String {
        let asked = Set(options.isEmpty ? [.all] : options)
        var response = "ESEARCH (TAG \(IMAPNames.quoted(tag)))" + (uid ? " UID" : "")
        if asked.contains(.min), let first = found.first { response += " MIN \(first)" }
        if asked.contains(.max), let last = found.last { response += " MAX \(last)" }
        if asked.contains(.count) { response += " COUNT \(found.count)" }
        if asked.contains(.all), !found.isEmpty { response += " ALL " + IMAPUIDSet.text(found) }
        if let modSeq { response += " MODSEQ \(modSeq)" }  // RFC 7162 §3.1.5
        return response
    }
}
