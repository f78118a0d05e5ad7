extension IMAPSession {
    /// What this session offers now (RFC 3501 §6.1.1, RFC 9051 §7.2.2). Before TLS on a
    /// STARTTLS port: STARTTLS and LOGINDISABLED, no AUTH= (RFC 3501 §6.2.1, RFC 8314).
    var capabilities: String {
        var list = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT",
                    "CHILDREN", "CONDSTORE", "QRESYNC", "ESEARCH", "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "STATUS=SIZE",
                    "APPENDLIMIT=\(configuration.limits.parser.maxAppendSize)"]
        if state == .notAuthenticated {
            if configuration.tlsMode == .startTLS && !tlsActive { list.append("STARTTLS") }
            if plaintextAuthAllowed {
                list += ["AUTH=PLAIN", "AUTH=LOGIN"]
            } else {
                list.append("LOGINDISABLED")
            }
        }
        return list.joined(separator: " ")
    }

    var plaintextAuthAllowed: Bool { tlsActive || configuration.allowPlaintextAuth }

    /// RFC 3501 §6.1.1.
    func capability(_ tag: String) {
        untagged("CAPABILITY " + capabilities)
        complete(tag, "CAPABILITY completed.")
    }
}
