public import TLS

extension HostTLSPlan {
    /// Why the downgrade memory leaves this plan alone, or nil when it may raise it: explicit policy goes first
    /// (an entry of the policy table for the domain, DANE for this host, an enforced MTA-STS policy).
    /// - Parameter tableEntry: the policy table has an entry for the domain itself (`hasEntry(for:)`).
    public func explicitPolicyBeforeMemory(tableEntry: Bool, mtaSTS: MTASTSCachedPolicy?) -> String? {
        if tableEntry { return "the policy table has an entry for the domain" }
        if check == .dane { return "DANE decides for this host" }
        if mtaSTS?.policy.mode == .enforce { return "the MTA-STS policy is enforced" }
        return nil
    }

    /// This plan raised to the level `memory` pinned for `host` or, if higher, `domain` (`pinning`), unless an
    /// explicit policy decides (`explicitPolicyBeforeMemory`): what the queue does before connecting to an MX host.
    public func applying(_ memory: TLSMemory, host: String, domain: String, tableEntry: Bool, mtaSTS: MTASTSCachedPolicy?) -> HostTLSPlan {
        guard explicitPolicyBeforeMemory(tableEntry: tableEntry, mtaSTS: mtaSTS) == nil,
              let pin = memory.required(host: host, domain: domain)
        else { return self }
        return pinning(pin.level, by: pin.pinnedBy)
    }
}

extension TLSSecurityLevel {
    /// What one connection showed of a server's TLS: nil when it never got as far as EHLO, or its handshake
    /// failed (nothing is learnt); without TLS, whether STARTTLS was offered.
    public static func observed(reachedEHLO: Bool, startTLSOffered: Bool, handshakeFailed: Bool,
                                tls: TLSClientSessionInfo?) -> TLSSecurityLevel? {
        guard reachedEHLO, !handshakeFailed else { return nil }
        guard let tls else { return startTLSOffered ? .encrypted : .plain }
        return tls.securityLevel
    }
}
