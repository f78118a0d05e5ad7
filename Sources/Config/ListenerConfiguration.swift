/// One `[[listener]]`: a protocol served on an address with its own TLS mode.
public struct ListenerConfiguration: Sendable, Equatable {
    /// The service a listener speaks (`protocol = "pop3" | "imap" | "submission" | "https" | "http"`).
    public enum ServiceProtocol: String, Sendable, Equatable, CaseIterable {
        case pop3
        case imap
        case submission
        /// HTTP/1.1 over implicit TLS: MTA-STS policies and mail-client autoconfiguration documents.
        case https
        /// Port 80: ACME http-01 challenges (RFC 8555 §8.3); every other request is redirected to HTTPS.
        case http
    }

    /// How TLS is used on a listener (`tls = "starttls" | "implicit" | "none"`).
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plaintext first; the client upgrades with STLS / STARTTLS.
        case starttls
        /// TLS from the first byte (RFC 8314 §3.3).
        case implicit
        /// No TLS at all.
        case none
    }

    public var `protocol`: ServiceProtocol
    public var address: ListenAddress
    /// In a loaded configuration, `.starttls` and `.implicit` imply `LoftConfiguration.tls` is set.
    public var tls: TLSMode
    /// Whether plaintext credentials are accepted before TLS is up. Default false; true is only
    /// for trusted networks.
    public var allowPlaintextAuth: Bool
    /// IMAP extensions this listener does not offer (`withhold_capabilities`), upper case.
    public var withheldCapabilities: Set<String>
    /// Set when the listener expects a PROXY protocol header first (`proxy_protocol = true`): the
    /// peers allowed to send one (`proxy_trusted`, never empty). nil: clients connect directly.
    public var trustedProxies: [IPNetwork]?

    /// What `withhold_capabilities` (and a user's `imap_withhold_capabilities` passwd-file field)
    /// may name: the extensions Loft's IMAP offers, as `IMAPSession.withholdableCapabilities`
    /// lists them (a test keeps the two equal; Config sits below IMAP).
    public static let withholdableIMAPCapabilities: Set<String> = [
        "IMAP4REV2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "CONDSTORE",
        "QRESYNC", "ESEARCH", "SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES",
        "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "STATUS=SIZE", "APPENDLIMIT",
        "BINARY", "MULTIAPPEND", "COMPRESS=DEFLATE", "SEARCHRES",
        "QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "METADATA", "NOTIFY", "OBJECTID", "UTF8=ACCEPT",
    ]

    public init(
        `protocol`: ServiceProtocol, address: ListenAddress, tls: TLSMode, allowPlaintextAuth: Bool = false,
        withheldCapabilities: Set<String> = [], trustedProxies: [IPNetwork]? = nil
    ) {
        self.protocol = `protocol`
        self.address = address
        self.tls = tls
        self.allowPlaintextAuth = allowPlaintextAuth
        self.withheldCapabilities = withheldCapabilities
        self.trustedProxies = trustedProxies
    }
}
