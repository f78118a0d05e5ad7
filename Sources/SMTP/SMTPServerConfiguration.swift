/// What one submission listener is configured with.
public struct SMTPServerConfiguration: Sendable {
    /// The server's host name: in the greeting, the `Received:` header's `by` clause and the
    /// right side of generated `Message-ID`s.
    public var hostname: String
    /// `.startTLS` offers STARTTLS (RFC 3207, port 587); `.implicit` runs inside TLS from the
    /// first byte (RFC 8314, port 465); `.none` offers neither.
    public var tlsMode: SMTPSession.TLSMode
    /// Allow AUTH PLAIN/LOGIN without TLS. Off by default: passwords would travel in clear.
    public var allowPlaintextAuth: Bool
    public var limits: SMTPLimits

    public init(hostname: String, tlsMode: SMTPSession.TLSMode, allowPlaintextAuth: Bool = false, limits: SMTPLimits = SMTPLimits()) {
        self.hostname = hostname
        self.tlsMode = tlsMode
        self.allowPlaintextAuth = allowPlaintextAuth
        self.limits = limits
    }
}
