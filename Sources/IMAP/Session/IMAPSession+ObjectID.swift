extension IMAPSession {
    /// Whether this session offers RFC 8474 OBJECTID: where it is withheld, its FETCH items, STATUS
    /// item and SEARCH keys are unknown (BAD) and no MAILBOXID response code is sent.
    var offersObjectIDs: Bool { !withheldCapabilities.contains("OBJECTID") }

    /// True where OBJECTID is offered; else false, with BAD sent.
    func objectIDOffered(_ tag: String) -> Bool {
        if offersObjectIDs { return true }
        bad(tag, "OBJECTID is not offered on this connection.")
        return false
    }
}
