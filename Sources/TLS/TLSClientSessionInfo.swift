/// How the server's certificate fared against the caller's `TLSPeerExpectation`.
public enum TLSPeerVerification: Sendable, Equatable {
    /// PKIX: the chain leads to a trust anchor and a reference name matched (`matchedName`, the
    /// first that did, as asked: "in.mail.example" for a "*.mail.example" certificate), or no
    /// names were asked (`matchedName` nil).
    case verified(matchedName: String?)
    /// DANE (RFC 7672): a TLSA record matched. `authorityDepth` 0 means a DANE-EE record matched
    /// the server's own certificate (names and dates are then not checked, RFC 7672 section
    /// 3.1.1, and `matchedName` is nil); a larger value is the chain depth of the DANE-TA trust
    /// anchor, and `matchedName` the base domain or reference name the certificate matched.
    case daneVerified(authorityDepth: Int, matchedName: String?)
    /// Not verified: OpenSSL's reason and the chain depth where it failed, e.g.
    /// "hostname mismatch (depth 0)" or "unable to get local issuer certificate (depth 0)".
    case failed(reason: String)
}

/// What a completed client handshake negotiated and found.
public struct TLSClientSessionInfo: Sendable, Equatable {
    /// "TLSv1.3", "TLSv1.2".
    public var protocolVersion: String
    /// OpenSSL's cipher suite name ("TLS_AES_256_GCM_SHA384").
    public var cipher: String
    /// The certificates the server sent, leaf first, in the order sent.
    public var peerChain: [TLSCertificateSummary]
    public var verification: TLSPeerVerification
    /// How many TLSA records OpenSSL accepted as usable (`SSL_dane_tlsa_add` > 0). Zero means
    /// DANE was not in force for this connection.
    public var usableTLSARecords: Int
    /// The ALPN protocol the server selected, if any.
    public var applicationProtocol: String?

    public init(protocolVersion: String, cipher: String, peerChain: [TLSCertificateSummary],
                verification: TLSPeerVerification, usableTLSARecords: Int, applicationProtocol: String?) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.peerChain = peerChain
        self.verification = verification
        self.usableTLSARecords = usableTLSARecords
        self.applicationProtocol = applicationProtocol
    }
}

/// The user inbound event `TLSClientHandler` fires when its handshake completes (the client
/// counterpart of `TLSHandshakeCompleted`).
public struct TLSClientHandshakeCompleted: Sendable {
    public var info: TLSClientSessionInfo

    public init(info: TLSClientSessionInfo) {
        self.info = info
    }
}
