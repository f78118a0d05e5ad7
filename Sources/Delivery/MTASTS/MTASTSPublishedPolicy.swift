import Config
import TLS

/// The MTA-STS policy this server publishes for its local domains (RFC 8461 §3.2), built from `[mta_sts]`,
/// with the id that goes in the `_mta-sts` TXT record (§3.1). One policy serves every local domain: they
/// share the MX hosts.
public struct MTASTSPublishedPolicy: Sendable, Equatable {
    /// The policy as a sender reads it.
    public let policy: MTASTSPolicy
    /// The policy file served at `/.well-known/mta-sts.txt`: `key: value` lines ended by CRLF (§3.2).
    public let text: String
    /// The TXT record's `id` (§3.1: 1 to 32 letters and digits): the first 20 hex digits of the SHA-256 of
    /// `text`, so it changes exactly when the policy does and a sender fetches the new one.
    public let id: String

    /// - Parameters:
    ///   - settings: `[mta_sts]`; its `mx` patterns, or `hostname` alone when it has none.
    ///   - hostname: the configuration's `hostname`, this server's MX name.
    public init(settings: MTASTSSettings, hostname: String) {
        let mode: MTASTSPolicy.Mode = switch settings.mode {
        case .enforce: .enforce
        case .testing: .testing
        case .none: .none
        }
        policy = MTASTSPolicy(mode: mode, mx: settings.mx ?? [hostname.lowercased()], maxAge: settings.maxAge)
        var lines = ["version: STSv1", "mode: \(policy.mode.rawValue)"]
        lines += policy.mx.map { "mx: \($0)" }
        lines.append("max_age: \(policy.maxAge)")
        text = lines.map { $0 + "\r\n" }.joined()
        id = String(SHA256Digest.hex(SHA256Digest.digest(Array(text.utf8))).prefix(20))
    }

    /// The TXT record to publish at `_mta-sts.DOMAIN` (§3.1).
    public var record: String { "v=STSv1; id=\(id)" }
}
