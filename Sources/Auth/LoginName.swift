/// A login name split into local part and domain, in canonical form.
///
/// Matching rule: the local part is compared exactly (case-sensitive, as Dovecot does by
/// default and as RFC 5321 §2.4 allows local parts to be), the domain case-insensitively
/// (stored in lower case). A name without `@` belongs to the default domain, so `alice` and
/// `alice@example.org` are the same user when the default domain is `example.org`.
public struct LoginName: Hashable, Sendable {
    public let localPart: String
    public let domain: String

    /// `local@domain`.
    public var canonical: String { "\(localPart)@\(domain)" }

    /// Parses `name` (split at the last `@`). Returns nil for an empty local part or domain, or a
    /// name containing whitespace, control characters or `:`.
    public init?(_ name: String, defaultDomain: String) {
        guard !name.isEmpty,
              !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F || $0 == ":" })
        else { return nil }
        if let at = name.lastIndex(of: "@") {
            localPart = String(name[..<at])
            domain = name[name.index(after: at)...].lowercased()
        } else {
            localPart = name
            domain = defaultDomain.lowercased()
        }
        guard !localPart.isEmpty, !domain.isEmpty else { return nil }
    }
}
