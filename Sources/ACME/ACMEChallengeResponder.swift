import Synchronization
public import TLS

/// Makes a challenge answerable while the CA validates it.
public protocol ACMEChallengeResponder: Sendable {
    var type: ACMEChallengeType { get }
    /// Starts answering. May block (key generation): the issuer calls it on its thread pool.
    func present(name: String, token: String, keyAuthorization: String) throws
    func withdraw(name: String, token: String)
}

/// tls-alpn-01 (RFC 8737): the certificate goes into the table every TLS listener consults.
public struct TLSALPNChallengeResponder: ACMEChallengeResponder {
    public let challenges: TLSALPNChallenges
    public var type: ACMEChallengeType { .tlsALPN01 }

    public init(challenges: TLSALPNChallenges) {
        self.challenges = challenges
    }

    public func present(name: String, token: String, keyAuthorization: String) throws {
        try challenges.add(name: name, keyAuthorization: keyAuthorization)
    }

    public func withdraw(name: String, token: String) {
        challenges.remove(name: name)
    }
}

/// http-01 (RFC 8555 §8.3): the key authorizations the HTTP listener serves at
/// `/.well-known/acme-challenge/TOKEN`. Thread-safe; shared with every HTTP listener.
public final class HTTP01Challenges: ACMEChallengeResponder {
    public static let pathPrefix = "/.well-known/acme-challenge/"

    private let keyAuthorizations = Mutex<[String: String]>([:])
    public var type: ACMEChallengeType { .http01 }

    public init() {}

    public func present(name: String, token: String, keyAuthorization: String) {
        keyAuthorizations.withLock { $0[token] = keyAuthorization }
    }

    public func withdraw(name: String, token: String) {
        keyAuthorizations.withLock { $0[token] = nil }
    }

    /// The key authorization to serve for `token`, if one is pending.
    public func keyAuthorization(token: String) -> String? {
        keyAuthorizations.withLock { $0[token] }
    }
}
