import Auth
import Config

/// One server a mail client is told to use: a listener as clients see it.
struct MailServerEndpoint: Sendable, Equatable {
    enum Kind: String, Sendable {
        case imap, pop3, smtp
    }

    enum Security: Sendable {
        /// TLS from the first byte (RFC 8314 §3.3): 993, 995, 465.
        case implicitTLS
        /// Plaintext greeting, then STARTTLS / STLS: 143, 110, 587.
        case startTLS
    }

    var kind: Kind
    var host: String
    var port: Int
    var security: Security
}

/// What the autoconfiguration documents describe: the mail listeners the server has (with the ports they
/// were bound to), never a plaintext one, implicit TLS before STARTTLS (RFC 8314 §3: implicit TLS is
/// preferred), and the local domains whose addresses may ask.
struct MailClientSettings: Sendable, Equatable {
    /// The name clients connect to (`hostname`).
    let hostname: String
    /// `[delivery] local_domains` and `domain`, lower case.
    let localDomains: Set<String>
    let imap: [MailServerEndpoint]
    let pop3: [MailServerEndpoint]
    let smtp: [MailServerEndpoint]

    /// - Parameter listeners: the bound listeners as (configuration, port actually bound).
    init(hostname: String, localDomains: some Sequence<String>, listeners: [(ListenerConfiguration, port: Int)]) {
        self.hostname = hostname
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        func endpoints(_ service: ListenerConfiguration.ServiceProtocol, _ kind: MailServerEndpoint.Kind) -> [MailServerEndpoint] {
            let implicit = listeners.filter { $0.0.protocol == service && $0.0.tls == .implicit }
            let startTLS = listeners.filter { $0.0.protocol == service && $0.0.tls == .starttls }
            return implicit.map { MailServerEndpoint(kind: kind, host: hostname, port: $0.port, security: .implicitTLS) }
                + startTLS.map { MailServerEndpoint(kind: kind, host: hostname, port: $0.port, security: .startTLS) }
        }
        imap = endpoints(.imap, .imap)
        pop3 = endpoints(.pop3, .pop3)
        smtp = endpoints(.submission, .smtp)
    }

    /// Whether a client can be set up at all: something to read mail from and something to send it with.
    var hasIncomingAndOutgoing: Bool { !(imap.isEmpty && pop3.isEmpty) && !smtp.isEmpty }

    /// `domain` lower-cased without a trailing dot when it is one of this server's domains.
    func localDomain(_ domain: String) -> String? {
        var name = domain.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return localDomains.contains(name) ? name : nil
    }

    /// `text` as `local@domain` when it is an address of a local domain (the full address is what logs in:
    /// Loft's users are `local@domain`, the default domain's may leave the domain out).
    func localAddress(_ text: String) -> LoginName? {
        guard text.contains("@"), text.utf8.count <= 320, let name = LoginName(text, defaultDomain: ""),
              localDomain(name.domain) != nil
        else { return nil }
        return name
    }
}
