import TLS

/// Whether a server accepts one TLS version: a connection that offers only that version.
public struct TLSVersionProbe: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The handshake completed; the cipher suite it chose.
        case accepted(cipher: String)
        /// The server refused the handshake (OpenSSL's reason: "tlsv1 alert protocol version").
        case refused(reason: String)
        /// Not asked: the connection or the protocol dialogue failed before TLS, or this OpenSSL cannot
        /// offer the version.
        case notTested(reason: String)
    }

    public var version: TLSProtocolVersion
    public var outcome: Outcome

    public init(version: TLSProtocolVersion, outcome: Outcome) {
        self.version = version
        self.outcome = outcome
    }

    public var isAccepted: Bool {
        if case .accepted = outcome { return true }
        return false
    }
}
