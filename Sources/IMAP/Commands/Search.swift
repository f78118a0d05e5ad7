import MailStore

extension IMAPSession {
    /// Messages a content search examines per disk job; between jobs a long search tells the
    /// client how far it got (RFC 9585 INPROGRESS), so the client does not give up on it.
    static let searchChunk = 1000

    /// RFC 3501 §6.4.4 SEARCH and §6.4.8 UID SEARCH, over this session's view. Keys that need
    /// the message (headers, body, SENT*) read and parse each candidate on the disk pool.
    func search(_ tag: String, _ command: IMAPSearchCommand, uid: Bool) {
        guard let selection = requireSelected(tag) else { return }
        // RFC 5182 §2.1: a SEARCH ... SAVE that fails leaves `$` empty (`$` in it was resolved before).
        if command.returnOptions?.contains(.save) == true { savedResult = [] }
        let uids = selection.uids
        guard let evaluator = searchEvaluator(tag, command, uids: uids, uid: uid) else { return }
        let search = IMAPSearchRun(
            uids: uids, mailbox: selection.mailbox, recent: selection.recent, evaluator: evaluator, byUID: uid)
        let chunk = evaluator.needsContent ? Self.searchChunk : max(uids.count, 1)
        searchStep(tag, command, search, from: 0, chunk: chunk, found: ([], 0), lastNotice: .now)
    }

    /// The evaluator of `command` over this view, or nil after answering: an unknown charset gets
    /// `NO [BADCHARSET]`; a MODSEQ key needs CONDSTORE (RFC 7162 §3.1.5), which it turns on; EMAILID
    /// and THREADID keys are unknown where OBJECTID is withheld.
    func searchEvaluator(_ tag: String, _ command: IMAPSearchCommand, uids: [UInt32], uid: Bool) -> IMAPSearchEvaluator? {
        // RFC 9755 §3 (RFC 6855 erratum 4029): after ENABLE UTF8=ACCEPT the strings are UTF-8, so a
        // charset label that says otherwise conflicts with them.
        if utf8Accept, let charset = command.charset, charset.uppercased() != "UTF-8" {
            bad(tag, "After ENABLE UTF8=ACCEPT strings are UTF-8; CHARSET \(charset) conflicts (RFC 9755 section 3).",
                code: "BADCHARSET (UTF-8)")
            return nil
        }
        let evaluator: IMAPSearchEvaluator
        do {
            evaluator = try IMAPSearchEvaluator(command, lastSequenceNumber: UInt32(uids.count), lastUID: uids.last ?? 0)
        } catch {
            complete(tag, .no, code: "BADCHARSET (US-ASCII UTF-8)", "Unsupported charset.", expunges: uid)
            return nil
        }
        if IMAPSearchEvaluator.usesModSeq(command.key), !condStoreUsed(by: tag) { return nil }
        if IMAPSearchEvaluator.usesObjectID(command.key), !objectIDOffered(tag) { return nil }
        return evaluator
    }

    /// Evaluates `uids[start..<start + chunk]` on the disk pool, then the next chunk or the answer.
    private func searchStep(
        _ tag: String, _ command: IMAPSearchCommand, _ search: IMAPSearchRun, from start: Int, chunk: Int,
        found: (uids: [UInt32], highestModSeq: UInt64), lastNotice: ContinuousClock.Instant
    ) {
        let end = min(search.uids.count, start + chunk)
        blocking { search.evaluate(start..<end) } then: { outcome in
            switch outcome {
            case .success(let part):
                let found = (found.uids + part.found, max(found.highestModSeq, part.highestModSeq))
                guard end < search.uids.count else { return self.answerSearch(tag, command, found, uid: search.byUID) }
                var lastNotice = lastNotice
                if ContinuousClock.now - lastNotice >= self.configuration.limits.searchProgressInterval {
                    lastNotice = .now
                    self.untagged("OK [INPROGRESS (\(IMAPNames.quoted(tag)) \(end) \(search.uids.count))] Searched \(end) of \(search.uids.count) messages.")
                    self.flush()
                }
                self.searchStep(tag, command, search, from: end, chunk: chunk, found: found, lastNotice: lastNotice)
            case .failure(let error):
                self.fail(tag, error, "SEARCH failed")
            }
        }
    }

    private func answerSearch(
        _ tag: String, _ command: IMAPSearchCommand, _ found: (uids: [UInt32], highestModSeq: UInt64), uid: Bool
    ) {
        // RFC 7162 §3.1.5: a search on MODSEQ reports the highest mod-sequence it matched.
        let modSeq = IMAPSearchEvaluator.usesModSeq(command.key) && !found.uids.isEmpty ? found.highestModSeq : nil
        // RFC 9051 §6.4.4: IMAP4rev2 answers every SEARCH with ESEARCH, a plain one as RETURN (ALL).
        if let options = command.returnOptions ?? (imap4rev2 ? [] : nil) {
            saveSearchResult(found.uids, options: options, uid: uid)
            // RFC 5182 §2.4: SAVE alone answers with no ESEARCH.
            if options != [.save] {
                untagged(Self.extendedSearchResponse(tag: tag, found.uids, options: options, uid: uid, modSeq: modSeq))
            }
        } else {
            let numbers = found.uids.isEmpty ? "SEARCH" : "SEARCH " + found.uids.map(String.init).joined(separator: " ")
            untagged(numbers + (modSeq.map { " (MODSEQ \($0))" } ?? ""))
        }
        complete(tag, "SEARCH completed.", expunges: uid)
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
