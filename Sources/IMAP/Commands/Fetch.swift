import MailStore

extension IMAPSession {
    /// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH. The response is made in pieces on the disk
    /// pool and sent as the client reads (`IMAPFetchJob`), so `FETCH 1:* BODY[]` over a large
    /// mailbox holds about one chunk per connection. A non-PEEK body fetch sets \Seen first.
    func fetch(_ tag: String, _ set: IMAPSequenceSet, _ attributes: [IMAPFetchAttribute], uid: Bool) {
        guard let selection = requireSelected(tag), let connection else { return }
        guard uid || sequenceSetIsValid(set, selection) else { return bad(tag, "Invalid message sequence numbers.") }
        let job = IMAPFetchJob(
            targets: messages(in: set, uid: uid, selection), attributes: attributes, mailbox: selection.mailbox,
            recent: selection.recent, addUID: uid, setsSeen: !selection.readOnly && attributes.contains(where: \.setsSeen),
            origin: origin, allocator: connection.allocator)
        flush()
        connection.stream({ try job.nextChunk() }) { outcome in
            switch outcome {
            case .success:
                selection.recordOwnChanges(job.seenChanges)
                if job.missedExpunged {
                    self.complete(tag, .no, code: "EXPUNGEISSUED", "Some of the messages were expunged.", expunges: uid)
                } else {
                    self.complete(tag, "FETCH completed.", expunges: uid)
                }
            case .failure(let error):
                connection.logger.error("FETCH failed", metadata: ["error": "\(error)"])
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
    /// RFC 3501 §6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen.
    var setsSeen: Bool {
        switch self {
        case .bodySection(_, _, let peek): !peek
        case .rfc822, .rfc822Text: true
        default: false
        }
    }
}
