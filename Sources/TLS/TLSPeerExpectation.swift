/// What the caller wants checked about the server of one outbound connection. The handshake
/// never fails because of it (OpenSSL runs with `SSL_VERIFY_NONE`); the outcome is reported in
/// `TLSClientSessionInfo.verification` and the caller's policy decides after the handshake.
public struct TLSPeerExpectation: Sendable, Equatable {
    /// The SNI host name to send; nil sends none (do not send an IP literal, RFC 6066 section 3).
    /// With DANE and no name here, OpenSSL sends `daneBaseDomain` (RFC 7672 section 8.1).
    public var serverName: String?
    /// Names the certificate must match for `.verified` (`SSL_set1_host` / `SSL_add1_host`):
    /// DNS names, wildcards only as a whole left-most label; an IP literal is matched against
    /// the certificate's IP addresses. Empty: the chain alone is checked.
    public var referenceNames: [String]
    /// TLSA records (RFC 7672). Only usable DANE-TA(2) and DANE-EE(3) records are used; empty,
    /// or none usable, means no DANE: verification is PKIX.
    public var tlsa: [TLSAData]
    /// The TLSA base domain (the MX host, or its secure CNAME target) for `SSL_dane_enable`,
    /// which also makes it a reference name. Required when `tlsa` is not empty.
    public var daneBaseDomain: String?

    public init(serverName: String? = nil, referenceNames: [String] = [], tlsa: [TLSAData] = [],
                daneBaseDomain: String? = nil) {
        self.serverName = serverName
        self.referenceNames = referenceNames
        self.tlsa = tlsa
        self.daneBaseDomain = daneBaseDomain
    }
}
