extension IMAPSession {
    /// RFC 5256 §3 THREAD and UID THREAD.
    func thread(_ tag: String, _ command: IMAPThreadCommand, uid: Bool) {
        if withheldCapabilities.contains(command.algorithm.capability) {
            return bad(tag, "\(command.algorithm.capability) is not offered on this connection.")
        }
        let extractor = IMAPSortKeyExtractor(threading: command.algorithm)
        collectSortKeys(tag, command.search, extractor: extractor, name: "THREAD", uid: uid) { uids, found in
            let forest = IMAPThreader.thread(found.keys, command.algorithm)
            return forest.text { uid ? uids[Int($0) - 1] : $0 }
        } answer: { text, _ in
            // RFC 5256 §4 thread-data = "THREAD" [SP 1*thread-list]
            self.untagged(text.isEmpty ? "THREAD" : "THREAD " + text)
            self.complete(tag, "THREAD completed.", expunges: uid)
        }
    }
}
