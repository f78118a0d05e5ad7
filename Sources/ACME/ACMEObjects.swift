/// The ACME resources Loft reads (RFC 8555 §7.1), decoded from the CA's JSON. Unknown fields are ignored.
public struct ACMEDirectory: Sendable, Equatable, Decodable {
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String
    public var meta: Meta?

    public struct Meta: Sendable, Equatable, Decodable {
        public var termsOfService: String?
    }
}

/// An identifier (RFC 8555 §9.7.7): Loft asks only for `dns` names.
public struct ACMEIdentifier: Sendable, Equatable, Codable {
    public var type: String
    public var value: String

    public static func dns(_ name: String) -> ACMEIdentifier {
        ACMEIdentifier(type: "dns", value: name)
    }
}

/// RFC 8555 §7.1.3.
public struct ACMEOrder: Sendable, Equatable, Decodable {
    public var status: String
    public var identifiers: [ACMEIdentifier]
    public var authorizations: [String]
    public var finalize: String
    public var certificate: String?
    public var error: ACMEProblem?
}

/// RFC 8555 §7.1.4.
public struct ACMEAuthorization: Sendable, Equatable, Decodable {
    public var identifier: ACMEIdentifier
    public var status: String
    public var challenges: [ACMEChallenge]
}

/// RFC 8555 §7.1.5 (and §8.3, §8.4; RFC 8737 §3).
public struct ACMEChallenge: Sendable, Equatable, Decodable {
    public var type: String
    public var url: String
    public var status: String
    public var token: String?
    public var error: ACMEProblem?
}

/// The challenge types Loft answers.
public enum ACMEChallengeType: String, Sendable, Equatable, CaseIterable {
    /// RFC 8737: a certificate presented on port 443 for ALPN `acme-tls/1`.
    case tlsALPN01 = "tls-alpn-01"
    /// RFC 8555 §8.3: a token served on port 80.
    case http01 = "http-01"
}
