/// A message leaving the session's view: its sequence number (as the view was just before)
/// and its UID.
struct IMAPExpunged {
    var sequenceNumber: Int
    var uid: UInt32

    /// `* n EXPUNGE` lines (RFC 3501 §7.4.1), or once QRESYNC is enabled one `* VANISHED uids`
    /// line (RFC 7162 §3.2.10), without the `* `.
    static func lines(_ expunged: [IMAPExpunged], vanished: Bool) -> [String] {
        guard !expunged.isEmpty else { return [] }
        if vanished { return ["VANISHED " + IMAPUIDSet.text(expunged.map(\.uid).sorted())] }
        return expunged.map { "\($0.sequenceNumber) EXPUNGE" }
    }
}
