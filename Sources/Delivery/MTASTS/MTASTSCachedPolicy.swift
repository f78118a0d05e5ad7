public import Foundation

/// A domain's MTA-STS policy as fetched: with the TXT record id it was fetched for and when, so it applies
/// until `max_age` has passed (RFC 8461 §5.1).
public struct MTASTSCachedPolicy: Sendable, Equatable, Codable {
    /// The recipient domain, lowercased.
    public internal(set) var domain: String
    public internal(set) var id: String
    public internal(set) var policy: MTASTSPolicy
    public internal(set) var fetched: Date

    public var expires: Date { fetched.addingTimeInterval(TimeInterval(policy.maxAge)) }

    public func isFresh(at now: Date) -> Bool { now < expires }

    /// What applied, for the delivery log: "mta-sts enforce (id 20240101T000000)".
    public var summary: String { "mta-sts \(policy.mode.rawValue) (id \(id))" }
}

/// What DNS said at `_mta-sts.<domain>`.
public enum MTASTSRecordLookup: Sendable, Equatable {
    /// Exactly one valid STSv1 record, with this id.
    case found(id: String)
    /// No record, or none usable (RFC 8461 §3.1: none, several, or an invalid one).
    case absent
    /// The lookup failed (SERVFAIL, a bogus DNSSEC answer): nothing is known.
    case failed(String)
}

/// What to do for one domain with what the cache holds and what DNS said (RFC 8461 §5.1).
public enum MTASTSCacheDecision: Sendable, Equatable {
    /// The cached policy stands.
    case useCached
    /// Fetch the policy the record announces; if that fails, a fresh cached policy still stands.
    case fetch(id: String)
    /// The domain has no policy that applies.
    case noPolicy

    /// - A record whose id is the cached policy's, while that policy is fresh: keep it (no fetch).
    /// - A record with another id, or nothing fresh cached: fetch.
    /// - No record or a failed lookup: a fresh cached policy still applies (an attacker who can remove the
    ///   record must not remove the policy; a domain leaves MTA-STS by publishing `mode: none`, RFC 8461
    ///   §8.3); otherwise there is none.
    public static func decide(cached: MTASTSCachedPolicy?, record: MTASTSRecordLookup, now: Date) -> MTASTSCacheDecision {
        let fresh = cached.map { $0.isFresh(at: now) } ?? false
        switch record {
        case .found(let id):
            return fresh && cached?.id == id ? .useCached : .fetch(id: id)
        case .absent, .failed:
            return fresh ? .useCached : .noPolicy
        }
    }

    /// The policy that applies to `domain` after this decision, given what the fetch it asks for gave
    /// (`fetched`, ignored unless the decision is `fetch`; nil: no fetch was made) at `now`: the cached policy,
    /// the fetched one, or after a failed fetch a cached policy that is still fresh.
    public func policy(
        domain: String, cached: MTASTSCachedPolicy?, fetched: Result<MTASTSPolicy, MTASTSError>?, now: Date
    ) -> MTASTSCachedPolicy? {
        switch self {
        case .useCached:
            return cached
        case .noPolicy:
            return nil
        case .fetch(let id):
            if case .success(let policy)? = fetched {
                return MTASTSCachedPolicy(domain: domain.lowercased(), id: id, policy: policy, fetched: now)
            }
            return cached.flatMap { $0.isFresh(at: now) ? $0 : nil }
        }
    }
}
