/// One `[[relay]]` entry: a smarthost that takes mail for some or all remote domains. A relay always needs
/// TLS with a certificate from a trusted CA naming its host.
public struct RelaySettings: Sendable, Equatable {
    /// How the connection to the relay is secured.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plain connection, then STARTTLS (port 587 or 25).
        case starttls
        /// TLS from the first byte (port 465, RFC 8314).
        case implicit
    }

    /// Recipient domains sent through this relay, lowercased; `*` is every remote domain.
    public var domains: [String]
    public var host: String
    public var port: Int
    public var tls: TLSMode
    /// The SASL user name, or nil for no AUTH.
    public var username: String?
    /// The file holding the password (its first line), absolute; set exactly when `username` is.
    public var passwordFile: String?

    public init(domains: [String], host: String, port: Int, tls: TLSMode, username: String? = nil, passwordFile: String? = nil) {
        self.domains = domains
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.passwordFile = passwordFile
    }
}
