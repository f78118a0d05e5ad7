extension IMAPSession {
    /// RFC 3501 §6.2.1, RFC 2595 §3.1: only before login on a STARTTLS listener. Whatever the
    /// client pipelined after the command is thrown away (CVE-2011-0411 class), and the parser
    /// starts afresh.
    func starttls(_ tag: String) {
        guard requireNotAuthenticated(tag) else { return }
        guard configuration.tlsMode == .startTLS, !tlsActive, let connection else {
            bad(tag, tlsActive ? "TLS is already active." : "STARTTLS is not offered on this port.")
            return
        }
        let started = connection.startTLS(after: "STARTTLS") {
            emit("\(tag) OK Begin TLS negotiation now.")
            flush()
        }
        if started {
            parser = IMAPCommandParser(configuration: Self.parserConfiguration(configuration))
        } else {
            bad(tag, "STARTTLS is not offered on this port.")
        }
    }
}
