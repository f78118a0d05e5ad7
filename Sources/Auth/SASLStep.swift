/// What the protocol must do after a SASL exchange processed the client's input.
public enum SASLStep: Sendable, Equatable {
    /// Send this base64 text as a challenge (after `+ ` in IMAP/POP3, `334 ` in SMTP) and pass
    /// the client's next line to `SASLExchange.receive`. May be empty (an empty challenge).
    case challenge(String)
    /// The exchange is complete: verify these credentials.
    case done(SASLCredentials)
    /// The client sent `*` (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2): answer with the
    /// protocol's "authentication cancelled" reply (SMTP 501 5.0.0, IMAP BAD, POP3 -ERR).
    case cancelled
    /// The client's input violates the mechanism (bad base64, invalid UTF-8, wrong field count,
    /// NUL bytes, …). The text says what, never the payload; answer with a syntax error
    /// (SMTP 501 5.5.2, IMAP BAD, POP3 -ERR).
    case malformed(String)
    /// Well-formed, but asks for something not allowed: an authorization identity different
    /// from the authentication identity. Answer as an authentication failure
    /// (SMTP 535 5.7.8, IMAP NO [AUTHORIZATIONFAILED], POP3 -ERR [AUTH]).
    case rejected(String)
}
