extension IMAPSession {
    /// RFC 2971: the server's name only; no version, nothing an attacker could use.
    func id(_ tag: String) {
        untagged("ID (\"name\" \"Loft\")")
        complete(tag, "ID completed.")
    }
}
