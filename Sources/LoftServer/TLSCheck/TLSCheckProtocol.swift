/// The protocols `loft check-tls` speaks, with their ports (RFC 8314 §3.3 and §7.3 for the
/// implicit-TLS ones) and ALPN ids.
public enum TLSCheckProtocol: String, Sendable, CaseIterable {
    /// Server-to-server SMTP (port 25, STARTTLS, RFC 3207).
    case smtp
    /// Message submission (587 STARTTLS, RFC 6409; 465 implicit TLS, RFC 8314).
    case submission
    case imap
    case pop3

    /// The standard port for this protocol in `mode`.
    public func defaultPort(_ mode: TLSCheckMode) -> Int {
        switch (self, mode) {
        case (.smtp, _): return 25
        case (.submission, .starttls): return 587
        case (.submission, .implicit): return 465
        case (.imap, .starttls): return 143
        case (.imap, .implicit): return 993
        case (.pop3, .starttls): return 110
        case (.pop3, .implicit): return 995
        }
    }

    /// The protocol a well-known port belongs to; nil for other ports.
    public init?(port: Int) {
        switch port {
        case 25: self = .smtp
        case 587, 465: self = .submission
        case 143, 993: self = .imap
        case 110, 995: self = .pop3
        default: return nil
        }
    }

    /// The ALPN id offered (RFC 7301): the one Loft's strict ALPN expects on such a port, so a
    /// server that checks ALPN (the ALPACA mitigation) accepts the probe.
    var alpnIdentifier: String {
        switch self {
        case .smtp, .submission: return "smtp"
        case .imap: return "imap"
        case .pop3: return "pop3"
        }
    }

    /// What the protocol calls its STARTTLS command.
    public var startTLSCommand: String {
        self == .pop3 ? "STLS" : "STARTTLS"
    }

    /// What the protocol calls its capability listing.
    public var capabilityCommand: String {
        switch self {
        case .smtp, .submission: return "EHLO"
        case .imap: return "CAPABILITY"
        case .pop3: return "CAPA"
        }
    }
}

/// When TLS starts on a connection.
public enum TLSCheckMode: String, Sendable {
    /// A plaintext greeting, then STARTTLS (STLS in POP3).
    case starttls
    /// TLS from the first byte (RFC 8314).
    case implicit

    /// The mode a port implies: 465, 993 and 995 are implicit TLS, every other port STARTTLS.
    public init(port: Int) {
        self = [465, 993, 995].contains(port) ? .implicit : .starttls
    }
}
