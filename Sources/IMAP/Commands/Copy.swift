import MailStore

extension IMAPSession {
    /// RFC 3501 §6.4.7 COPY, RFC 6851 MOVE, and their UID forms, with UIDPLUS COPYUID
    /// (RFC 4315 §3). A missing target gets `NO [TRYCREATE]`. MOVE sends COPYUID untagged,
    /// then the EXPUNGEs of the moved messages (RFC 6851 §4.3).
    func copy(_ tag: String, _ set: IMAPSequenceSet, to rawName: IMAPMailboxName, uid: Bool, move: Bool) {
        guard let selection = requireSelected(tag), let account else { return }
        let command = move ? "MOVE" : "COPY"
        guard uid || sequenceSetIsValid(set, selection) else { return bad(tag, "Invalid message sequence numbers.") }
        if move && selection.readOnly { return complete(tag, .no, code: "READ-ONLY", "The mailbox is read-only.") }
        let name: MailboxName
        do {
            name = try self.mailboxName(rawName)
        } catch {
            return fail(tag, error, "\(command) failed")
        }
        let uids = messages(in: set, uid: uid, selection).map(\.uid)
        let source = selection.mailbox
        let origin = self.origin
        // RFC 9208 §4.3: a COPY that does not fit the quota stores nothing and gets NO [OVERQUOTA]. A MOVE
        // never changes the usage of the one quota root all folders share, so it is never refused for it.
        let quota = move ? nil : account.quota
        let adding = quota == nil ? QuotaUsage.zero : Self.quotaUsage(of: uids, in: source.state)
        blocking { () -> (pairs: [(source: UInt32, target: UInt32)], uidValidity: UInt32) in
            let target = try account.open(name)
            defer { account.close(target) }
            try quota?.check(adding: adding)
            let pairs = move
                ? try source.move(uids, to: target, origin: origin)
                : try source.copy(uids, to: target, origin: origin)
            return (pairs, target.state.uidValidity)
        } then: { outcome in
            switch outcome {
            case .success(let result):
                guard !result.pairs.isEmpty else { return self.complete(tag, "\(command) completed; no messages.") }
                let code = "COPYUID \(result.uidValidity) \(IMAPUIDSet.text(result.pairs.map(\.source))) "
                    + IMAPUIDSet.text(result.pairs.map(\.target))
                if move {
                    self.untagged("OK [\(code)] Moved.")
                    let expunged = selection.removeExpunged(result.pairs.map(\.source))
                    for line in IMAPExpunged.lines(expunged, vanished: self.qresync) { self.untagged(line) }
                    self.complete(tag, "MOVE completed.")
                } else {
                    self.complete(tag, code: code, "COPY completed.")
                }
            case .failure(MailboxError.notFound):
                self.complete(tag, .no, code: "TRYCREATE", "Mailbox \(name) does not exist.")
            case .failure(let error):
                self.fail(tag, error, "\(command) failed")
            }
        }
    }
}

/// RFC 4315 `uid-set`: UIDs in the given order, consecutive runs as ranges.
enum IMAPUIDSet {
    static func text(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        var index = 0
        while index < uids.count {
            var end = index
            while end + 1 < uids.count, uids[end + 1] == uids[end] &+ 1 { end += 1 }
            parts.append(end == index ? "\(uids[index])" : "\(uids[index]):\(uids[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
