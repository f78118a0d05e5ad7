import DNS
import TLS

/// What the outbound queue would do for one recipient domain, worked out exactly as a delivery does
/// (`DestinationResolver` for the MX hosts, their addresses and TLSA records; `HostTLSPlan` for each
/// host's TLS, with the domain's MTA-STS policy and the downgrade memory's pins) but without connecting:
/// the DNS half of `loft check-tls --mx`. The connection half probes each host with
/// `HostTLSPlan.expectation` and asks `HostTLSPlan.rejection(of:)`.
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
        /// What the downgrade memory pinned for this host (or its domain, if higher): nil when nothing is.
        public var memoryPin: HostTLSPlan.Pin?
        /// Why `plan` does not carry `memoryPin` (an explicit policy decides); nil when it does, or nothing is pinned.
        public var memoryPinNotApplied: String?
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
    /// The MTA-STS policy the plans were made with (nil: none applies, or the policy table does not consult it).
    public var mtaSTS: MTASTSCachedPolicy?
    /// The MX answer (nil when the lookup itself failed).
    public var mx: DNSAnswer<MXRecord>?
    public var outcome: Outcome

    /// Looks the domain up as the queue would. Blocking (DNS): run it off the event loops.
    /// - Parameters:
    ///   - policies: the configured per-domain TLS policies.
    ///   - port: where MX hosts listen (`[delivery] smtp_port`).
    ///   - mtaSTS: the domain's MTA-STS policy as the queue's cache would give it; ignored when the policy table
    ///     does not consult MTA-STS for the domain.
    ///   - memory: the downgrade memory (nil: none known).
    public static func inspect(domain: String, policies: OutboundTLSPolicyTable, port: Int, resolver: DNSResolver,
                               mtaSTS: MTASTSCachedPolicy? = nil, memory: TLSMemory? = nil) -> DestinationInspection {
        let policy = policies.policy(for: domain)
        let mtaSTS = policies.consultsMTASTS(for: domain) ? mtaSTS : nil
        let tableEntry = policies.hasEntry(for: domain)
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
                // What a delivery of a message without REQUIRETLS or TLS-Required gets (OutboundQueue+Destination).
                var plan = HostTLSPlan.plan(
                    for: host, policy: policy, mtaSTS: mtaSTS, explicitPolicy: tableEntry, domain: domain,
                    requireTLS: false, tlsRequiredNo: false)
                let pin = memory?.required(host: host.name, domain: domain).map { HostTLSPlan.Pin(level: $0.level, by: $0.pinnedBy) }
                var notApplied: String?
                if let memory, pin != nil, case .success(let raw) = plan {
                    notApplied = raw.explicitPolicyBeforeMemory(tableEntry: tableEntry, mtaSTS: mtaSTS)
                    plan = .success(raw.applying(memory, host: host.name, domain: domain, tableEntry: tableEntry, mtaSTS: mtaSTS))
                }
                return Host(
                    name: host.name, preference: host.preference, addresses: host.addresses,
                    ipv6Status: host.ipv6Status, ipv4Status: host.ipv4Status, isSecure: host.isSecure,
                    tlsaLookedUp: host.tlsaLookedUp,
                    tlsaStatus: host.tlsaStatus, tlsa: host.tlsa, plan: plan, memoryPin: pin, memoryPinNotApplied: notApplied)
            })
        }
        return DestinationInspection(domain: domain, port: port, policy: policy, mtaSTS: mtaSTS, mx: mx, outcome: outcome)
    }
}
