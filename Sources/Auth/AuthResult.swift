/// The outcome of `Authenticator.authenticate`.
public enum AuthResult: Sendable, Equatable {
    /// Name and password are right.
    case success(UserRecord)
    /// Unknown user or wrong password — deliberately indistinguishable.
    /// (SMTP 535 5.7.8, IMAP `NO [AUTHENTICATIONFAILED]`, POP3 `-ERR [AUTH]`.)
    case failure
    /// The answer is not known right now (e.g. the passwd-file is unreadable or broken and the
    /// user is not in the last good version); the client should retry later.
    /// (SMTP 454 4.7.0, IMAP `NO [UNAVAILABLE]`, POP3 `-ERR [SYS/TEMP]`.) The text is for the log.
    case temporaryFailure(String)
}
