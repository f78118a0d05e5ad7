extension IMAPSession {
    /// RFC 3501 §6.4.3 EXPUNGE and RFC 4315 §2.1 UID EXPUNGE (only the \Deleted messages
    /// among the given UIDs).
    func expunge(_ tag: String, uids set: IMAPSequenceSet?) {
        guard let selection = requireSelected(tag) else { return }
        guard !selection.readOnly else { return complete(tag, .no, code: "READ-ONLY", "The mailbox is read-only.") }
        let mailbox = selection.mailbox
        let origin = self.origin
        let candidates = set.map { set in selection.uids.filter { set.contains($0, last: selection.uids.last ?? 0) } }
            ?? selection.uids
        blocking { () -> [UInt32] in
            let state = mailbox.state
            let deleted = candidates.filter { uid in
                state.index(ofUID: uid).map { state.messages[$0].flags.contains(.deleted) } ?? false
            }
            return try mailbox.expunge(deleted, origin: origin)
        } then: { outcome in
            switch outcome {
            case .success(let removed):
                for line in IMAPExpunged.lines(selection.removeExpunged(removed), vanished: self.qresync) { self.untagged(line) }
                self.complete(tag, "EXPUNGE completed.")
            case .failure(let error):
                self.fail(tag, error, "EXPUNGE failed")
            }
        }
    }
}
