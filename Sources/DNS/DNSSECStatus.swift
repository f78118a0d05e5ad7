/// What DNSSEC validation said about an answer (RFC 4033 §5, RFC 4035 §4.3).
public enum DNSSECStatus: Sendable, Equatable {
    /// Signed, and the signatures chain up to a configured trust anchor.
    case secure
    /// No trust anchor covers the name, or the chain proves the zone is unsigned.
    case insecure
    /// A trust anchor covers the name but validation failed (bad signature, DS mismatch,
    /// missing RRSIGs). Callers defer on it; the reason is libunbound's `why_bogus`.
    case bogus(reason: String)
}
