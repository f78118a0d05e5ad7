/// The TLS security level for one destination, named as Postfix's `smtp_tls_security_level` values.
public enum OutboundTLSLevel: String, Sendable, Equatable, CaseIterable {
    case none
    /// Opportunistic: STARTTLS when offered, any certificate; DANE when usable DNSSEC-secure TLSA exist.
    case may
    case encrypt
    /// DANE where usable TLSA exist; TLSA that exist but are unusable make it `encrypt`; none: `may`.
    case dane
    case daneOnly = "dane-only"
    case verify
    case secure
    case fingerprint
}

/// The level for one destination with its options.
public struct OutboundTLSPolicy: Sendable, Equatable {
    public var level: OutboundTLSLevel
    /// Names the certificate must carry for `verify` / `secure`; empty: the MX host (`verify`) or the
    /// domain and its subdomains (`secure`).
    public var match: [String]
    /// Lowercase hex SHA-256 of an accepted certificate or public key, for `fingerprint`.
    public var fingerprints: [String]

    public init(level: OutboundTLSLevel, match: [String] = [], fingerprints: [String] = []) {
        self.level = level
        self.match = match
        self.fingerprints = fingerprints
    }
    /// Whether this policy can use DANE, so the queue looks up TLSA records (only then).
    public var looksForDANE: Bool {
        [.may, .dane, .daneOnly].contains(level)
    }
}

/// The per-domain policy table: an entry for the domain itself, else the nearest `.parent` entry, else the
/// default.
public struct OutboundTLSPolicyTable: Sendable, Equatable {
    public var defaultPolicy: OutboundTLSPolicy
    /// By lowercased domain; a key starting with "." covers the subdomains of what follows.
    public var entries: [String: OutboundTLSPolicy]

    public init(defaultPolicy: OutboundTLSPolicy = OutboundTLSPolicy(level: .may), entries: [String: OutboundTLSPolicy] = [:]) {
        self.defaultPolicy = defaultPolicy
        self.entries = entries
    }

    public func policy(for domain: String) -> OutboundTLSPolicy {
        entry(for: domain) ?? defaultPolicy
    }

    /// The entry covering `domain` (its own, or the nearest `.parent`), or nil when only the default applies.
    public func entry(for domain: String) -> OutboundTLSPolicy? {
        let domain = domain.lowercased()
        if let exact = entries[domain] { return exact }
        var rest = Substring(domain)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[dot...]
            if let parent = entries[String(rest)] { return parent }
            rest = rest.dropFirst()
        }
        return nil
    }

    /// Whether the table has an entry for `domain` itself (not a `.parent` one): the admin's explicit policy for
    /// it, which `TLS-Required: No` does not lift and the downgrade memory does not raise.
    public func hasEntry(for domain: String) -> Bool {
        entries[domain.lowercased()] != nil
    }

    /// Whether MTA-STS (RFC 8461) is looked up for `domain`: when no entry covers it and the default level is
    /// opportunistic (`may`, `dane`). An entry, or a stricter (or `none`) default, is the admin's own policy.
    public func consultsMTASTS(for domain: String) -> Bool {
        entry(for: domain) == nil && (defaultPolicy.level == .may || defaultPolicy.level == .dane)
    }
}
