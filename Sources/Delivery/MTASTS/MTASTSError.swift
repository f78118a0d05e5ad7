/// Why a domain's MTA-STS policy could not be had. Every case means "no new policy": the sender keeps a
/// cached one that has not expired, else delivers as if the domain had none (RFC 8461 §3.3, §5.1).
public enum MTASTSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The policy file breaks RFC 8461 §3.2.
    case invalidPolicy(String)
    /// The HTTPS fetch failed: DNS, connection, certificate, HTTP status, size or time.
    case fetchFailed(String)

    public var description: String {
        switch self {
        case .invalidPolicy(let reason): return "invalid MTA-STS policy: \(reason)"
        case .fetchFailed(let reason): return "MTA-STS policy fetch failed: \(reason)"
        }
    }
}
