import DNS
import TLS

/// What the outbound queue would do for one recipient domain, worked out exactly as a delivery does
/// (`DestinationResolver` for the MX hosts, their addresses and TLSA records; `HostTLSPlan` for each
/// host's TLS) but without connecting: the DNS half of `loft check-tls --mx`. The connection half
/// probes each host with `HostTLSPlan.expectation` and asks `HostTLSPlan.rejection(of:)`.
public struct DestinationInspection: Sendable {
    /// One MX host the queue would try, in its order.
    public struct Host: Sendable {
        public var name: String
        /// MX preference; 0 for the implicit MX (a domain without MX records, RFC 5321 §5.1).
        public var preference: Int
        /// IPv6 first, then IPv4, as the queue tries them.
        public var addresses: [IPAddress]
        /// What DNSSEC said about the AAAA and A answers (nil: not looked up).
        public var ipv6Status: DNSSECStatus?
        public var ipv4Status: DNSSECStatus?
        /// The MX RRset and both address answers were secure, so TLSA records may be used (RFC 7672 §2.2).
        public var isSecure: Bool
        /// Whether the queue looked up TLSA records for this host: only when the policy can use DANE and
        /// the host is secure.
        public var tlsaLookedUp: Bool
        /// What DNSSEC said about the TLSA answer, when one came back.
        public var tlsaStatus: DNSSECStatus?
        /// The TLSA records the queue would use (secure answers only).
        public var tlsa: [TLSAData]
        /// The TLS plan for this host, or why the queue skips it (a temporary failure).
        public var plan: Result<HostTLSPlan, HostUnusable>
    }

    /// Where the domain's mail goes, as DNS says.
    public enum Outcome: Sendable {
        /// The hosts the queue tries, in order (at most its limit of MX hosts; hosts without an address left out).
        case hosts([Host])
        /// A permanent answer: the domain does not exist, or it takes no mail (null MX, RFC 7505).
        case undeliverable(status: String, reason: String)
        /// The queue would defer: SERVFAIL, a bogus answer, no host with an address.
        case temporary(status: String, reason: String)
    }

    public var domain: String
    /// The port MX hosts are contacted on (`[delivery] smtp_port`); TLSA records are looked up for it.
    public var port: Int
    /// The TLS policy in force for the domain.
    public var policy: OutboundTLSPolicy
    /// The MX answer (nil when the lookup itself failed).
    public var mx: DNSAnswer<MXRecord>?
    public var outcome: Outcome

    /// Looks the domain up as the queue would. Blocking (DNS): run it off the event loops.
    /// - Parameters:
    ///   - policies: the configured per-domain TLS policies.
    ///   - port: where MX hosts listen (`[delivery] smtp_port`).
    public static func inspect(domain: String, policies: OutboundTLSPolicyTable, port: Int,
                               resolver: DNSResolver) -> DestinationInspection {
        let policy = policies.policy(for: domain)
        let wantsTLSA = policy.looksForDANE
        let (mx, plan) = DestinationResolver(resolver: resolver).inspect(domain: domain, port: port, wantsTLSA: wantsTLSA)
        let outcome: Outcome
        switch plan {
        case .undeliverable(let status, let reason):
            outcome = .undeliverable(status: status, reason: reason)
        case .temporary(let status, let reason):
            outcome = .temporary(status: status, reason: reason)
        case .hosts(let found):
            outcome = .hosts(found.map { host in
                Host(
                    name: host.name, preference: host.preference, addresses: host.addresses,
                    ipv6Status: host.ipv6Status, ipv4Status: host.ipv4Status, isSecure: host.isSecure,
                    tlsaLookedUp: host.tlsaLookedUp,
                    tlsaStatus: host.tlsaStatus, tlsa: host.tlsa,
                    plan: host.tlsPlan(policy: policy, domain: domain))
            })
        }
        return DestinationInspection(domain: domain, port: port, policy: policy, mx: mx, outcome: outcome)
    }
}
