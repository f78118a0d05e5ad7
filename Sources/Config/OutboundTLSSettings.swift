/// The `[outbound_tls]` section: how Loft's SMTP client secures connections to other servers.
public struct OutboundTLSSettings: Sendable, Equatable {
    /// A security level, named as Postfix's `smtp_tls_security_level` values.
    public enum Level: String, Sendable, Equatable, CaseIterable {
        /// Never STARTTLS.
        case none
        /// Opportunistic: STARTTLS when offered, any certificate; DANE when the MX and its TLSA records are
        /// DNSSEC-secure (RFC 7672). The default.
        case may
        /// TLS required, any certificate.
        case encrypt
        /// DANE where usable TLSA records exist, else `may`.
        case dane
        /// Usable TLSA records and a certificate matching them required.
        case daneOnly = "dane-only"
        /// TLS with a certificate from a trusted CA naming the MX host (or a `match` name).
        case verify
        /// TLS with a certificate from a trusted CA naming the recipient domain (or a `match` name).
        case secure
        /// TLS with a certificate or public key whose SHA-256 is listed in `fingerprints`.
        case fingerprint
    }

    /// One `[[outbound_tls.policy]]` entry.
    public struct Policy: Sendable, Equatable {
        /// The recipient domain, lowercased; `.example.org` also covers every subdomain.
        public var domain: String
        public var level: Level
        /// Names a certificate must carry under `verify` / `secure` (`match`); empty: the level's default.
        public var match: [String]
        /// Lowercase hex SHA-256 of a certificate or of its public key, for `fingerprint`.
        public var fingerprints: [String]

        public init(domain: String, level: Level, match: [String] = [], fingerprints: [String] = []) {
            self.domain = domain
            self.level = level
            self.match = match
            self.fingerprints = fingerprints
        }
    }

    /// A PEM file of CA certificates trusted besides the system's (`ca_file`), absolute; nil: none.
    public var caFile: String?
    /// The level for domains without a policy (`default_level`, `may`).
    public var defaultLevel: Level
    /// Per-domain policies, in file order.
    public var policies: [Policy]

    public init(caFile: String? = nil, defaultLevel: Level = .may, policies: [Policy] = []) {
        self.caFile = caFile
        self.defaultLevel = defaultLevel
        self.policies = policies
    }
}
