extension IMAPSession {
    /// RFC 5161: the extensions Loft enables are CONDSTORE, QRESYNC (which implies CONDSTORE,
    /// RFC 7162 §3.2.3), UTF8=ACCEPT (RFC 9755 §3) and IMAP4rev2 (RFC 9051 §6.3.1). `ENABLED` lists
    /// what this command enabled (§3.1); others are ignored, as are withheld ones (§3.1: only
    /// extensions the server advertises).
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
        if asked.contains("UTF8=ACCEPT") && !utf8Accept {
            utf8Accept = true
            enabled.append("UTF8=ACCEPT")
        }
        if asked.contains("IMAP4REV2") && !imap4rev2 {
            imap4rev2 = true
            selection?.reportsRecent = false
            enabled.append("IMAP4rev2")
        }
        parser.configuration.utf8Accepted = utf8Names
        untagged((["ENABLED"] + enabled).joined(separator: " "))
        complete(tag, "ENABLE completed.")
    }
}
