/// The backend's answer for the MAIL FROM address of an authenticated client (RFC 6409 §6.1: the sender
/// must be the user's own address or one the server lets them use).
public enum SMTPSenderCheck: Sendable, Equatable {
    /// The user may send as this address: `250 2.1.0`.
    case allowed
    /// Not the user's address: `553 5.7.1` (permanent, RFC 5321 §4.2.2).
    case refused
    /// Cannot be decided now (e.g. the aliases file cannot be read): `451 4.3.0` with this text, so the
    /// client retries later (RFC 5321 §4.2.2, RFC 3463 §3.4). The client sees it: no secrets.
    case unavailable(String)
}
