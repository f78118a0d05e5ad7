extension IMAPSession {
    /// RFC 5161: CONDSTORE is the one extension Loft enables; `ENABLED` lists only what was
    /// enabled by this command (§3.1), others are ignored.
    func enable(_ tag: String, _ capabilities: [String]) {
        guard requireAuthenticated(tag) != nil else { return }
        if capabilities.contains(where: { $0.uppercased() == "CONDSTORE" }) && !condStore {
            enableCondStore()
            untagged("ENABLED CONDSTORE")
        } else {
            untagged("ENABLED")
        }
        complete(tag, "ENABLE completed.")
    }
}
