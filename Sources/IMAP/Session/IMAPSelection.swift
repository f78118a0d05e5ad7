import MailStore
import NIOCore

/// The selected mailbox as one session sees it (RFC 3501 §2.3.1.2): its own sequence-number
/// ↔ UID view over the shared `SharedMailbox`, the messages that are \Recent for this session,
/// and what changed since the session last told its client.
///
/// The view changes only through `announcements`, at the points where the session may send
/// untagged EXISTS / EXPUNGE / FETCH, so sequence numbers stay what the client believes.
final class IMAPSelection {
    let name: MailboxName
    let mailbox: SharedMailbox
    let readOnly: Bool
    /// Sequence number − 1 → UID, ascending.
    private(set) var uids: [UInt32]
    /// The UIDs that are \Recent in this session (RFC 3501 §2.3.2).
    private(set) var recent: Set<UInt32>
    /// The keywords last announced in `* FLAGS`.
    private(set) var keywordNames: [String?]
    /// The mailbox's highest modseq when the client was last told of changes.
    private var announcedModSeq: UInt64
    /// Whether changes were announced while EXPUNGE was not allowed: the next allowed point
    /// compares the view with the state even if nothing changed since.
    private var expungesDeferred = false
    /// Flag changes this session made itself and already answered: UID → its modseq then.
    private var ownFlagChanges: [UInt32: UInt64] = [:]
    private var observation: MailboxObservation?
    /// Whether new messages are announced with `RECENT` and flags show \Recent; IMAP4rev2 has no
    /// \Recent (RFC 9051 Appendix E).
    var reportsRecent = true
    /// What this session appended, copied or moved here itself (NOTIFY sends no FETCH for it).
    let ownAppends = IMAPOwnAppends()

    init(name: MailboxName, mailbox: SharedMailbox, readOnly: Bool, state: MailboxState, recent: Set<UInt32>) {
        self.name = name
        self.mailbox = mailbox
        self.readOnly = readOnly
        self.uids = state.messages.map(\.uid)
        self.recent = recent
        self.keywordNames = state.keywordNames
        self.announcedModSeq = state.highestModSeq
    }

    /// Starts receiving the mailbox's changes; `deliver` runs on any thread.
    func observe(_ deliver: @escaping @Sendable (MailboxChange) -> Void) {
        observation = mailbox.observe(deliver)
    }

    func stopObserving() {
        observation?.cancel()
        observation = nil
    }

    var count: Int { uids.count }

    /// The sequence number of a UID in this view.
    func sequenceNumber(ofUID uid: UInt32) -> Int? {
        var low = 0
        var high = uids.count
        while low < high {
            let middle = (low + high) / 2
            if uids[middle] < uid { low = middle + 1 } else { high = middle }
        }
        return low < uids.count && uids[low] == uid ? low + 1 : nil
    }

    /// Notes flag changes the session made and answered itself, so they are not repeated.
    func recordOwnChanges(_ records: [MessageRecord]) {
        for record in records { ownFlagChanges[record.uid] = record.modSeq }
    }

    /// The session itself expunged these UIDs and tells its client now: returns what to send,
    /// in order (each sequence number as the view is after the ones before, RFC 3501 §7.4.1).
    func removeExpunged(_ removed: [UInt32]) -> [IMAPExpunged] {
        var expunged: [IMAPExpunged] = []
        for uid in removed.sorted() {
            guard let sequenceNumber = sequenceNumber(ofUID: uid) else { continue }
            uids.remove(at: sequenceNumber - 1)
            recent.remove(uid)
            expunged.append(IMAPExpunged(sequenceNumber: sequenceNumber, uid: uid))
        }
        return expunged
    }

    /// The untagged responses that bring the client up to date, applying them to the view:
    /// new keywords (`FLAGS`), expunges (when allowed), new messages (`EXISTS`, `RECENT`),
    /// then flag changes (`FETCH`). Every change bumps the mailbox's modseq, so an unchanged
    /// modseq means nothing to say; otherwise the view is compared with the current state,
    /// whoever made the change (another session, POP3, delivery, another program).
    ///
    /// With QRESYNC (`vanished`) expunges go out as one `VANISHED`, and while they may not be
    /// sent nothing is: a MODSEQ sent ahead of a held-back expunge would let the client's
    /// HIGHESTMODSEQ pass it (RFC 5162 erratum 1810).
    func announcements(allowExpunge: Bool, withModSeq: Bool = false, vanished: Bool = false) -> [String] {
        let state = mailbox.state
        guard state.highestModSeq != announcedModSeq || (allowExpunge && expungesDeferred) else { return [] }
        if vanished && !allowExpunge {
            expungesDeferred = true
            return []
        }
        var lines: [String] = []
        if state.keywordNames != keywordNames {
            keywordNames = state.keywordNames
            lines += flagsAnnouncement()
        }
        if allowExpunge {
            lines += IMAPExpunged.lines(removeVanished(state), vanished: vanished)
        }
        expungesDeferred = !allowExpunge
        let lastUID = uids.last ?? 0
        var firstNew = state.messages.count
        while firstNew > 0, state.messages[firstNew - 1].uid > lastUID { firstNew -= 1 }
        for record in state.messages[..<firstNew] where record.modSeq > announcedModSeq {
            guard ownFlagChanges[record.uid] != record.modSeq, let sequenceNumber = sequenceNumber(ofUID: record.uid) else {
                continue
            }
            let modSeq = withModSeq ? " MODSEQ (\(record.modSeq))" : ""
            lines.append("\(sequenceNumber) FETCH (UID \(record.uid) FLAGS \(flagList(record, state))\(modSeq))")
        }
        if firstNew < state.messages.count {
            uids += state.messages[firstNew...].map(\.uid)
            if !readOnly { recent.formUnion(mailbox.claimRecent()) }
            lines.append("\(uids.count) EXISTS")
            if reportsRecent { lines.append("\(recent.count) RECENT") }
        }
        ownFlagChanges.removeAll()
        announcedModSeq = state.highestModSeq
        return lines
    }

    /// Removes from the view every UID the mailbox no longer has; returns them with their
    /// EXPUNGE sequence numbers, in sending order.
    private func removeVanished(_ state: MailboxState) -> [IMAPExpunged] {
        var kept: [UInt32] = []
        kept.reserveCapacity(uids.count)
        var expunged: [IMAPExpunged] = []
        var stateIndex = 0
        let messages = state.messages
        for uid in uids {
            while stateIndex < messages.count, messages[stateIndex].uid < uid { stateIndex += 1 }
            if stateIndex < messages.count, messages[stateIndex].uid == uid {
                kept.append(uid)
            } else {
                // Its number is its position among those still in the view at this point.
                expunged.append(IMAPExpunged(sequenceNumber: kept.count + 1, uid: uid))
                recent.remove(uid)
            }
        }
        if !expunged.isEmpty { uids = kept }
        return expunged
    }

    /// `FLAGS` and `PERMANENTFLAGS` (RFC 3501 §7.2.6, §7.1): the system flags and the keywords
    /// the mailbox has; clients may create new keywords (`\*`).
    func flagsAnnouncement() -> [String] {
        let keywords = keywordNames.compactMap { $0 }.joined(separator: " ")
        let system = "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
        let all = keywords.isEmpty ? system : system + " " + keywords
        return [
            "FLAGS (\(all))",
            readOnly
                ? "OK [PERMANENTFLAGS ()] Read-only mailbox."
                : "OK [PERMANENTFLAGS (\(all) \\*)] Flags permitted.",
        ]
    }

    /// The messages FETCH shows with \Recent: none once IMAP4rev2 is on.
    var shownRecent: Set<UInt32> { reportsRecent ? recent : [] }

    /// A message's flags as the wire list `(\Seen kw)`, with \Recent where it is recent here.
    func flagList(_ record: MessageRecord, _ state: MailboxState) -> String {
        IMAPWireFlags.parenthesized(record, state, recent: shownRecent)
    }
}
