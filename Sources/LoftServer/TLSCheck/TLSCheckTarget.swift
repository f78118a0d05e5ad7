/// What `loft check-tls HOST[:PORT]` checks: where to connect, how, and which name the
/// certificate must cover.
public struct TLSCheckTarget: Sendable, Equatable {
    /// The host as given: a name or an IP address (without brackets).
    public var host: String
    public var port: Int
    public var `protocol`: TLSCheckProtocol
    public var mode: TLSCheckMode
    /// The name the certificate must match (`--name`, default the host); also sent as SNI unless it
    /// is an IP address.
    public var referenceName: String
    /// A PEM file of CA certificates trusted besides the system's (`--ca-file`).
    public var caFile: String?

    public init(host: String, port: Int, protocol: TLSCheckProtocol, mode: TLSCheckMode, referenceName: String,
                caFile: String?) {
        self.host = host
        self.port = port
        self.protocol = `protocol`
        self.mode = mode
        self.referenceName = referenceName
        self.caFile = caFile
    }

    /// Fills in what the command line left out: the port from the protocol and mode, the mode from
    /// the port, the protocol from the port, the name from the host.
    /// - Parameters:
    ///   - hostAndPort: "mail.example.org", "mail.example.org:587", "192.0.2.1:993",
    ///     "[2001:db8::1]:993" or a bare IPv6 address.
    /// - Throws: `TLSCheckUsageError` saying what is wrong.
    public static func parse(_ hostAndPort: String, protocol givenProtocol: TLSCheckProtocol?, mode givenMode: TLSCheckMode?,
                             name: String?, caFile: String?) throws(TLSCheckUsageError) -> TLSCheckTarget {
        let (host, givenPort) = try splitHostAndPort(hostAndPort)
        let port: Int
        let mode: TLSCheckMode
        let proto: TLSCheckProtocol
        if let givenPort {
            port = givenPort
            mode = givenMode ?? TLSCheckMode(port: port)
            guard let found = givenProtocol ?? TLSCheckProtocol(port: port) else {
                throw TLSCheckUsageError("port \(port) is not a standard mail port: say which protocol it speaks with --protocol smtp|submission|imap|pop3")
            }
            proto = found
        } else {
            guard let givenProtocol else {
                throw TLSCheckUsageError("give a port (\(hostAndPort):587) or a protocol (--protocol submission)")
            }
            proto = givenProtocol
            if givenMode == .implicit && proto == .smtp {
                throw TLSCheckUsageError("SMTP between servers has no implicit-TLS port: give the port with HOST:PORT")
            }
            mode = givenMode ?? .starttls
            port = proto.defaultPort(mode)
        }
        if let name, name.isEmpty { throw TLSCheckUsageError("--name must not be empty") }
        return TLSCheckTarget(host: host, port: port, protocol: proto, mode: mode, referenceName: name ?? host, caFile: caFile)
    }

    private static func splitHostAndPort(_ text: String) throws(TLSCheckUsageError) -> (String, Int?) {
        guard !text.isEmpty else { throw TLSCheckUsageError("the host is empty") }
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw TLSCheckUsageError("\"\(text)\": missing \"]\"") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw TLSCheckUsageError("\"\(text)\": expected :PORT after \"]\"") }
                portText = rest.dropFirst()
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        // More than one colon without brackets: a bare IPv6 address, no port.
        guard !host.isEmpty else { throw TLSCheckUsageError("\"\(text)\": the host is empty") }
        guard let portText else { return (String(host), nil) }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw TLSCheckUsageError("\"\(portText)\" is not a port number (1 to 65535)")
        }
        return (String(host), port)
    }
}

/// A command line that cannot be checked; the text says why.
public struct TLSCheckUsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
