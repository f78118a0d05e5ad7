/// SASL mechanisms (RFC 4422) Loft offers. Both send the password in the clear, so protocols
/// offer them only over TLS unless the admin allows plaintext.
public enum SASLMechanism: String, Sendable, CaseIterable {
    /// RFC 4616.
    case plain = "PLAIN"
    /// draft-murchison-sasl-login-00.
    case login = "LOGIN"
}
