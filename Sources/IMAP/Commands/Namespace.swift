extension IMAPSession {
    /// RFC 2342: one personal namespace, no prefix, `.` as the separator (Maildir++).
    func namespace(_ tag: String) {
        guard requireAuthenticated(tag) != nil else { return }
        untagged("NAMESPACE ((\"\" \".\")) NIL NIL")
        complete(tag, "NAMESPACE completed.")
    }
}
