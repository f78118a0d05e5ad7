/// Why a SEARCH cannot run.
public enum IMAPSearchError: Error, Sendable, Equatable {
    /// The CHARSET is not one Loft searches in: the session answers `NO [BADCHARSET (US-ASCII UTF-8)]`
    /// (RFC 3501 §6.4.4, §7.1). Carries the charset as sent.
    case badCharset(String)
}
