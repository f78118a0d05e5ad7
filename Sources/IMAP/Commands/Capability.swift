extension IMAPSession {
    /// What Loft offers beside IMAP4rev1, in the order CAPABILITY lists it (`APPENDLIMIT` gets its
    /// `=n`). IMAP4rev2 (RFC 9051) is offered beside IMAP4rev1 and takes effect after ENABLE.
    static let extensionNames = [
        "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "CONDSTORE",
        "QRESYNC", "ESEARCH", "SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES",
        "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "STATUS=SIZE", "APPENDLIMIT",
        "BINARY", "MULTIAPPEND", "COMPRESS=DEFLATE", "SEARCHRES",
        "QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "METADATA", "NOTIFY", "OBJECTID", "UTF8=ACCEPT",
    ]

    /// The extensions an admin may withhold, per listener or per user: all of them. Not IMAP4rev1
    /// itself, nor STARTTLS, LOGINDISABLED and AUTH=, which follow from the TLS settings.
    /// Upper case, as the config names them (capability names are case-insensitive).
    public static let withholdableCapabilities = Set(extensionNames.map { $0.uppercased() })

    /// The extensions IMAP4rev2 includes (RFC 9051 Appendix E; LITERAL+ for its LITERAL-): a
    /// client that enabled it may use them unasked, so withholding one withholds IMAP4rev2 too.
    static let partsOfIMAP4rev2: Set<String> = [
        "NAMESPACE", "UNSELECT", "UIDPLUS", "ESEARCH", "SEARCHRES", "ENABLE", "IDLE", "SASL-IR", "LIST-EXTENDED",
        "LIST-STATUS", "MOVE", "LITERAL+", "BINARY", "SPECIAL-USE", "STATUS=SIZE", "CHILDREN",
    ]

    /// What this session does not offer: the listener's choice and, once logged in, the user's.
    /// QRESYNC needs CONDSTORE (RFC 7162 §3.2.3), so withholding CONDSTORE withholds both; SORT=DISPLAY
    /// and ESORT extend SORT, so withholding SORT withholds all three; the QUOTA=RES-* resources go
    /// with QUOTA (RFC 9208 §3.1).
    var withheldCapabilities: Set<String> {
        var withheld = configuration.withheldCapabilities.union(account?.withheldCapabilities ?? [])
        if withheld.contains("CONDSTORE") { withheld.insert("QRESYNC") }
        if withheld.contains("SORT") { withheld.formUnion(["SORT=DISPLAY", "ESORT"]) }  // both extend SORT
        if withheld.contains("QUOTA") { withheld.formUnion(["QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"]) }
        if !withheld.isDisjoint(with: Self.partsOfIMAP4rev2) { withheld.insert("IMAP4REV2") }
        return withheld
    }

    /// What this session offers now (RFC 3501 §6.1.1, RFC 9051 §7.2.2). Before TLS on a
    /// STARTTLS port: STARTTLS and LOGINDISABLED, no AUTH= (RFC 3501 §6.2.1, RFC 8314).
    var capabilities: String {
        let withheld = withheldCapabilities
        let compression = offersCompression
        var list = ["IMAP4rev1"] + Self.extensionNames.filter {
            !withheld.contains($0.uppercased()) && ($0 != "COMPRESS=DEFLATE" || compression)
        }.map { name in
            name == "APPENDLIMIT" ? "APPENDLIMIT=\(configuration.limits.parser.maxAppendSize)" : name
        }
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
