extension IMAPSession {
    /// RFC 5161: Loft has no extension that needs enabling yet, so nothing is enabled and the
    /// `ENABLED` response is empty (§3.1: only what was enabled is listed).
    func enable(_ tag: String, _ capabilities: [String]) {
        guard requireAuthenticated(tag) != nil else { return }
        untagged("ENABLED")
        complete(tag, "ENABLE completed.")
    }
}
