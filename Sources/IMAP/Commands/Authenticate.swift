import Auth

extension IMAPSession {
    /// RFC 3501 §6.2.2 with SASL-IR (RFC 4959): PLAIN and LOGIN, only where plaintext
    /// passwords may travel (TLS, or allowed by the admin).
    func authenticate(_ tag: String, mechanism: String, initialResponse: IMAPInitialResponse?) {
        guard requireNotAuthenticated(tag) else { return }
        guard plaintextAuthAllowed else {
            complete(tag, .no, code: "PRIVACYREQUIRED", "Use STARTTLS before authenticating.")
            return
        }
        guard var exchange = SASLExchange(mechanism: mechanism) else {
            complete(tag, .no, code: "CANNOT", "Unsupported mechanism; use PLAIN or LOGIN.")
            return
        }
        let first: String? = switch initialResponse {
        case nil: nil
        case .empty: "="
        case .base64(let text): text
        }
        let step = exchange.start(initialResponse: first)
        saslStep(tag, step, exchange)
    }

    /// The client's answer to a challenge (`*` cancels).
    func authenticationResponse(_ line: String) {
        guard let (tag, pending) = sasl else { return }
        var exchange = pending
        sasl = nil
        let step = exchange.receive(line)
        saslStep(tag, step, exchange)
    }

    private func saslStep(_ tag: String, _ step: SASLStep, _ exchange: SASLExchange) {
        switch step {
        case .challenge(let text):
            sasl = (tag, exchange)
            parser.expectAuthenticationResponse()
            continuation(text)
        case .done(let credentials):
            checkPassword(tag, username: credentials.username, password: credentials.password)
        case .cancelled:
            bad(tag, "Authentication cancelled.")
        case .malformed(let why):
            bad(tag, "Malformed authentication response: \(why).")
        case .rejected(let why):
            emit("\(tag) NO [AUTHORIZATIONFAILED] \(why)")
            flush()
        }
    }
}
