/// One `[[dkim]]` entry: a DKIM key of a domain, by selector (RFC 6376 §3.1). Every entry is published
/// (`loft dns`); those with `sign` also sign outgoing mail whose From domain is `domain`, so during a key
/// rollover the old and the new selector can both be in DNS while only one (or both) signs.
public struct DKIMKeySettings: Sendable, Equatable {
    /// The `a=` algorithms a key may be for.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        case rsaSHA256 = "rsa-sha256"
        case ed25519SHA256 = "ed25519-sha256"
    }

    /// The signing domain (`d=`), lowercased.
    public var domain: String
    /// The selector (`s=`): the key is published at `SELECTOR._domainkey.DOMAIN`.
    public var selector: String
    public var algorithm: Algorithm
    /// The PEM private key, absolute (relative paths are resolved against the configuration file's directory).
    public var keyFile: String
    /// Signs outgoing mail; false: only published (a key being staged or retired).
    public var sign: Bool

    public init(domain: String, selector: String, algorithm: Algorithm, keyFile: String, sign: Bool = true) {
        self.domain = domain.lowercased()
        self.selector = selector
        self.algorithm = algorithm
        self.keyFile = keyFile
        self.sign = sign
    }

    /// Whether `text` can be a DKIM domain or selector: dot-separated labels of letters, digits and inner
    /// hyphens (RFC 6376 §3.1 selectors; host names for the domain).
    public static func isValidName(_ text: String) -> Bool {
        ConfigParser.isHostName(text)
    }
}
