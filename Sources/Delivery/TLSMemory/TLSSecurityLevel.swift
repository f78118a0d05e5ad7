/// How well a server's TLS was seen to be secured, from worst to best: what the downgrade memory keeps.
public enum TLSSecurityLevel: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    /// No STARTTLS offered.
    case plain = 0
    /// TLS, with a certificate that did not verify.
    case encrypted = 1
    /// TLS with a certificate from a trusted CA naming the host.
    case verified = 2
    /// TLS with a certificate matching the host's DNSSEC-signed TLSA records (RFC 7672).
    case dane = 3

    public static func < (lhs: TLSSecurityLevel, rhs: TLSSecurityLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .plain: "plaintext"
        case .encrypted: "encrypted (certificate not verified)"
        case .verified: "CA-verified"
        case .dane: "DANE-verified"
        }
    }

    /// The short name used in the spool file and by `loft tls-memory`.
    public var name: String {
        switch self {
        case .plain: "plain"
        case .encrypted: "encrypted"
        case .verified: "verified"
        case .dane: "dane"
        }
    }
}
