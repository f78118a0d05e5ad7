import MailStore

extension IMAPSession {
    /// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH. The response is made in pieces on the disk
    /// pool and sent as the client reads (`IMAPFetchJob`), so `FETCH 1:* BODY[]` over a large
    /// mailbox holds about one chunk per connection. A non-PEEK body fetch sets \Seen first.
    ///
    /// CONDSTORE (RFC 7162 §3.1.4): `MODSEQ` is an item, and `(CHANGEDSINCE n)` keeps only the
    /// messages changed after n and adds MODSEQ to each response.
    ///
    /// QRESYNC (RFC 7162 §3.2.6): `UID FETCH ... (CHANGEDSINCE n VANISHED)` first reports, as
    /// `VANISHED (EARLIER)`, the UIDs of the set the mailbox no longer has.
    func fetch(_ tag: String, _ set: IMAPSequenceSet, _ attributes: [IMAPFetchAttribute], uid: Bool, changedSince: UInt64?,
               vanished: Bool) {
        guard let selection = requireSelected(tag), let connection else { return }
        guard uid || sequenceSetIsValid(set, selection) else { return bad(tag, "Invalid message sequence numbers.") }
        if vanished {
            guard uid, qresync else { return bad(tag, "VANISHED needs UID FETCH and ENABLE QRESYNC (RFC 7162 section 3.2.6).") }
            // The parser requires CHANGEDSINCE with VANISHED.
            if let vanished = IMAPVanishedUIDs.text(in: set, selection.mailbox.state, since: changedSince ?? 0) {
                untagged("VANISHED (EARLIER) " + vanished)
            }
        }
        var attributes = attributes
        if attributes.contains(where: \.isBinary), withheldCapabilities.contains("BINARY") {
            return bad(tag, "BINARY is not offered on this connection.")
        }
        if attributes.contains(where: \.isObjectID), !objectIDOffered(tag) { return }
        var targets = messages(in: set, uid: uid, selection)
        if changedSince != nil || attributes.contains(.modSeq), !condStoreUsed(by: tag) { return }
        if let changedSince {
            let state = selection.mailbox.state
            targets = targets.filter { target in
                state.index(ofUID: target.uid).map { state.messages[$0].modSeq > changedSince } ?? false
            }
        }
        let setsSeen = !selection.readOnly && attributes.contains(where: \.setsSeen)
        // The response must show the new mod-sequence of what it changed (\Seen), or was asked for.
        if condStore && (changedSince != nil || setsSeen) && !attributes.contains(.modSeq) { attributes.append(.modSeq) }
        let job = IMAPFetchJob(
            targets: targets, attributes: attributes, mailbox: selection.mailbox,
            recent: selection.shownRecent, addUID: uid, setsSeen: setsSeen,
            origin: origin, allocator: connection.allocator)
        flush()
        connection.stream({ try job.nextChunk() }) { outcome in
            switch outcome {
            case .success:
                selection.recordOwnChanges(job.seenChanges)
                if let refusal = job.binaryRefusal {
                    self.complete(tag, .no, code: refusal.responseCode, refusal.message, expunges: uid)
                } else if job.missedExpunged {
                    self.complete(tag, .no, code: "EXPUNGEISSUED", "Some of the messages were expunged.", expunges: uid)
                } else {
                    self.complete(tag, "FETCH completed.", expunges: uid)
                }
            case .failure(let error):
                connection.logger.error("FETCH failed", metadata: ["error": "\(error)"])
                connection.services.metrics?.storageFailed()
                if job.hasSentAnything {
                    connection.close()  // a response cut off in a literal cannot be repaired
                } else {
                    self.fail(tag, error, "FETCH failed")
                }
            }
        }
    }
}

extension IMAPFetchAttribute {
    /// RFC 3516 BINARY, BINARY.PEEK and BINARY.SIZE.
    var isBinary: Bool {
        switch self {
        case .binary, .binarySize: true
        default: false
        }
    }

    /// RFC 8474 §5: EMAILID and THREADID.
    var isObjectID: Bool {
        self == .emailID || self == .threadID
    }

    /// RFC 3501 §6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen.
    var setsSeen: Bool {
        switch self {
        case .bodySection(_, _, let peek): !peek
        case .binary(_, _, let peek): !peek  // RFC 3516 §4.2: as BODY[]
        case .rfc822, .rfc822Text: true
        default: false
        }
    }
}
