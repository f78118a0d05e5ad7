extension IMAPSession {
    /// RFC 5161: CONDSTORE and QRESYNC (which implies CONDSTORE, RFC 7162 §3.2.3) are the
    /// extensions Loft enables; `ENABLED` lists what this command enabled (§3.1), others are
    /// ignored, as are withheld ones (§3.1: only extensions the server advertises).
    func enable(_ tag: String, _ capabilities: [String]) {
        guard requireAuthenticated(tag) != nil else { return }
        let asked = Set(capabilities.map { $0.uppercased() }).subtracting(withheldCapabilities)
        var enabled: [String] = []
        if asked.contains("CONDSTORE") && !condStore { enabled.append("CONDSTORE") }
        if asked.contains("QRESYNC") && !qresync {
            qresync = true
            enabled.append("QRESYNC")
        }
        if asked.contains("CONDSTORE") || asked.contains("QRESYNC") { enableCondStore() }
        untagged((["ENABLED"] + enabled).joined(separator: " "))
        complete(tag, "ENABLE completed.")
    }
}
