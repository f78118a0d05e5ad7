import MailStore

extension IMAPSession {
    /// RFC 5256 §3 SORT and UID SORT; with RETURN, RFC 5267 §3 ESORT (answered as ESEARCH).
    func sort(_ tag: String, _ command: IMAPSortCommand, uid: Bool) {
        let withheld = withheldCapabilities
        if withheld.contains("SORT") { return bad(tag, "SORT is not offered on this connection.") }
        if command.search.returnOptions != nil, withheld.contains("ESORT") {
            return bad(tag, "ESORT is not offered on this connection.")
        }
        if command.criteria.contains(where: { $0.key == .displayFrom || $0.key == .displayTo }), withheld.contains("SORT=DISPLAY") {
            return bad(tag, "SORT=DISPLAY is not offered on this connection.")
        }
        // RFC 5182 §2.1 with RFC 5267 §3: a SORT ... SAVE that fails leaves `$` empty.
        if command.search.returnOptions?.contains(.save) == true { savedResult = [] }
        let extractor = IMAPSortKeyExtractor(sorting: command.criteria)
        collectSortKeys(tag, command.search, extractor: extractor, name: "SORT", uid: uid) { uids, found in
            let sorted = IMAPSorter.order(found.keys, by: command.criteria)
            return uid ? sorted.map { uids[Int($0) - 1] } : sorted
        } answer: { numbers, highestModSeq in
            // RFC 7162 §3.1.5: a sort on MODSEQ reports the highest mod-sequence it matched.
            let modSeq = IMAPSearchEvaluator.usesModSeq(command.search.key) && !numbers.isEmpty ? highestModSeq : nil
            if let options = command.search.returnOptions {
                // RFC 5267 §3: the ESEARCH response, with the numbers in sort order (so MIN and MAX are
                // the first and last of the sort, ALL lists them in sort order).
                // SAVE keeps the set (MIN/MAX: the first/last of the sort); alone, it sends no ESEARCH.
                self.saveSearchResult(numbers, options: options, uid: uid)
                if options != [.save] {
                    self.untagged(Self.extendedSearchResponse(tag: tag, numbers, options: options, uid: uid, modSeq: modSeq))
                }
            } else {
                let list = numbers.isEmpty ? "SORT" : "SORT " + numbers.map(String.init).joined(separator: " ")
                self.untagged(list + (modSeq.map { " (MODSEQ \($0))" } ?? ""))
            }
            self.complete(tag, "SORT completed.", expunges: uid)
        }
    }

    /// The search SORT and THREAD start with: checks as SEARCH does (charset, MODSEQ), then the keys of
    /// every match, a chunk at a time on the disk pool (with RFC 9585 INPROGRESS notices on a long run),
    /// then `order` on the disk pool too (sorting 100,000 messages is no work for the event loop), then
    /// `answer` on the loop.
    func collectSortKeys<Result: Sendable>(
        _ tag: String, _ command: IMAPSearchCommand, extractor: IMAPSortKeyExtractor, name: String, uid: Bool,
        order: @escaping @Sendable (_ uids: [UInt32], _ found: (keys: [IMAPSortKeys], highestModSeq: UInt64)) -> Result,
        answer: @escaping (Result, UInt64) -> Void
    ) {
        guard let selection = requireSelected(tag) else { return }
        let uids = selection.uids
        guard let evaluator = searchEvaluator(tag, command, uids: uids, uid: uid) else { return }
        let search = IMAPSearchRun(
            uids: uids, mailbox: selection.mailbox, recent: selection.recent, evaluator: evaluator, byUID: false)
        let run = IMAPSortRun(search: search, extractor: extractor)
        let chunk = evaluator.needsContent || extractor.needsHeader ? Self.searchChunk : max(uids.count, 1)
        sortStep(tag, run, from: 0, chunk: chunk, found: IMAPSortFound(), lastNotice: .now, name: name) { found in
            let found = (keys: found.keys, highestModSeq: found.highestModSeq)
            self.blocking { (order(uids, found), found.highestModSeq) } then: { outcome in
                switch outcome {
                case .success(let (result, highestModSeq)): answer(result, highestModSeq)
                case .failure(let error): self.fail(tag, error, "\(name) failed")
                }
            }
        }
    }

    private func sortStep(
        _ tag: String, _ run: IMAPSortRun, from start: Int, chunk: Int, found: IMAPSortFound,
        lastNotice: ContinuousClock.Instant, name: String, finish: @escaping (IMAPSortFound) -> Void
    ) {
        let total = run.search.uids.count
        let end = min(total, start + chunk)
        blocking { run.collect(start..<end) } then: { outcome in
            switch outcome {
            case .success(let part):
                found.keys += part.keys
                found.highestModSeq = max(found.highestModSeq, part.highestModSeq)
                guard end < total else { return finish(found) }
                var lastNotice = lastNotice
                if ContinuousClock.now - lastNotice >= self.configuration.limits.searchProgressInterval {
                    lastNotice = .now
                    self.untagged("OK [INPROGRESS (\(IMAPNames.quoted(tag)) \(end) \(total))] Searched \(end) of \(total) messages.")
                    self.flush()
                }
                self.sortStep(tag, run, from: end, chunk: chunk, found: found, lastNotice: lastNotice, name: name, finish: finish)
            case .failure(let error):
                self.fail(tag, error, "\(name) failed")
            }
        }
    }
}

/// What a SORT or THREAD found so far; grows chunk by chunk on the event loop (one array, not a
/// new one per chunk).
final class IMAPSortFound {
    var keys: [IMAPSortKeys] = []
    var highestModSeq: UInt64 = 0
}
