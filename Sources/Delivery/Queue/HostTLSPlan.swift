import TLS

/// What TLS one connection to one host needs, worked out before connecting from the destination's policy
/// and the DNS facts, and the check applied to the handshake's result.
public struct HostTLSPlan: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        /// Any certificate (opportunistic or `encrypt`).
        case anything
        /// A certificate matching the host's usable TLSA records (RFC 7672).
        case dane
        /// A chain to a trusted CA and one of the expectation's reference names.
        case pkix
        /// The leaf certificate's or its key's SHA-256 in the list.
        case fingerprint([String])
    }

    public internal(set) var mode: ClientTLSMode
    public internal(set) var expectation: TLSPeerExpectation
    public internal(set) var check: Check
    /// What applied, for the delivery log line: "may", "dane (2 usable TLSA)", "verify".
    public internal(set) var policyDescription: String
    /// Opportunistic TLS whose handshake fails is retried in plaintext (as Postfix's `may`): encryption
    /// was never required there.
    public internal(set) var plaintextFallback: Bool
    /// The level the downgrade memory pinned for this host or its domain, and which entry pinned it.
    public internal(set) var pinned: Pin? = nil

    public struct Pin: Sendable, Equatable {
        public internal(set) var level: TLSSecurityLevel
        /// "host mx1.example.net" or "domain example.net".
        public internal(set) var by: String
    }

    /// This plan raised to what the downgrade memory pinned: TLS becomes mandatory (no plaintext retry) and
    /// the handshake must reach `level`.
    func pinning(_ level: TLSSecurityLevel, by entry: String) -> HostTLSPlan {
        var plan = self
        plan.pinned = Pin(level: level, by: entry)
        plan.plaintextFallback = false
        if plan.mode == .opportunistic || plan.mode == .none { plan.mode = .required }
        plan.policyDescription += ", pinned \(level.name) by \(entry)"
        return plan
    }

    /// An MTA-STS policy in `testing` mode: what enforcing it would have required, checked after the
    /// connection and only logged (RFC 8461 §5).
    public internal(set) var reportOnly: ReportOnly? = nil

    public struct ReportOnly: Sendable, Equatable {
        /// "mta-sts testing (id ...)"
        public internal(set) var policy: String
        /// The host matches one of the policy's `mx` patterns.
        public internal(set) var hostAllowed: Bool
    }

    /// The plan for `host` (an MX host, or the relay) of `domain`.
    /// - Parameters:
    ///   - hostIsSecure: the MX RRset and the host's addresses were DNSSEC-secure (RFC 7672 §2.2).
    ///   - tlsa: the host's TLSA records when looked up securely (empty: none exist).
    /// - Returns: the plan, or the reason the host cannot be used (a temporary failure).
    static func plan(
        policy: OutboundTLSPolicy, domain: String, host: String, hostIsSecure: Bool, tlsa: [TLSAData]
    ) -> Result<HostTLSPlan, HostUnusable> {
        let usable = tlsa.filter { ($0.usage == 2 || $0.usage == 3) && $0.selector <= 1 && $0.matchingType <= 2 }
        let nameOnly = TLSPeerExpectation(serverName: host, referenceNames: [host], tlsa: [], daneBaseDomain: nil)
        func dane() -> HostTLSPlan {
            HostTLSPlan(
                mode: .required,
                expectation: TLSPeerExpectation(serverName: host, referenceNames: [host], tlsa: usable, daneBaseDomain: host),
                check: .dane, policyDescription: "\(policy.level.rawValue): dane (\(usable.count) usable TLSA)",
                plaintextFallback: false)
        }
        switch policy.level {
        case .none:
            return .success(HostTLSPlan(mode: .none, expectation: nameOnly, check: .anything, policyDescription: "none", plaintextFallback: false))
        case .may, .dane:
            if hostIsSecure, !usable.isEmpty { return .success(dane()) }
            // RFC 7672 §2.2: TLSA records that exist but are all unusable still make TLS mandatory.
            if policy.level == .dane, hostIsSecure, !tlsa.isEmpty {
                return .success(HostTLSPlan(mode: .required, expectation: nameOnly, check: .anything, policyDescription: "dane: encrypt (no usable TLSA)", plaintextFallback: false))
            }
            return .success(HostTLSPlan(mode: .opportunistic, expectation: nameOnly, check: .anything, policyDescription: policy.level.rawValue, plaintextFallback: true))
        case .encrypt:
            return .success(HostTLSPlan(mode: .required, expectation: nameOnly, check: .anything, policyDescription: "encrypt", plaintextFallback: false))
        case .daneOnly:
            guard hostIsSecure else { return .failure(HostUnusable(status: "4.7.5", reason: "dane-only: \(host) is not DNSSEC-secure")) }
            guard !usable.isEmpty else { return .failure(HostUnusable(status: "4.7.5", reason: "dane-only: \(host) has no usable TLSA records")) }
            return .success(dane())
        case .verify, .secure:
            let names = !policy.match.isEmpty ? policy.match : policy.level == .verify ? [host] : [domain, "." + domain]
            return .success(HostTLSPlan(
                mode: .required,
                expectation: TLSPeerExpectation(serverName: host, referenceNames: names, tlsa: [], daneBaseDomain: nil),
                check: .pkix, policyDescription: "\(policy.level.rawValue) (\(names.joined(separator: ", ")))",
                plaintextFallback: false))
        case .fingerprint:
            return .success(HostTLSPlan(
                mode: .required, expectation: nameOnly, check: .fingerprint(policy.fingerprints),
                policyDescription: "fingerprint", plaintextFallback: false))
        }
    }

    /// The plan for one MX host, for one message: the destination's policy (with its MTA-STS policy, when it
    /// consults one), then what the message asks for.
    /// - `tlsRequiredNo`: the message says `TLS-Required: No` (RFC 8689 §4.2.1): DANE and MTA-STS are
    ///   ignored but STARTTLS is still tried; an explicit entry of the admin's policy table still applies.
    /// - `requireTLS`: REQUIRETLS (RFC 8689 §5) asks more than any policy: see `requiringTLS`.
    static func plan(
        for host: DestinationHost, policy: OutboundTLSPolicy, mtaSTS: MTASTSCachedPolicy?, explicitPolicy: Bool,
        domain: String, requireTLS: Bool, tlsRequiredNo: Bool
    ) -> Result<HostTLSPlan, HostUnusable> {
        if tlsRequiredNo {
            let effective = explicitPolicy ? policy : OutboundTLSPolicy(level: .may)
            return plan(policy: effective, domain: domain, host: host.name, hostIsSecure: false, tlsa: [])
                .map { var plan = $0; plan.policyDescription += " (TLS-Required: No)"; return plan }
        }
        if let unusable = host.unusable { return .failure(unusable) }
        let base = plan(policy: policy, mtaSTS: mtaSTS, domain: domain, host: host.name, hostIsSecure: host.isSecure, tlsa: host.tlsa)
        guard requireTLS, case .success(let plan) = base else { return base }
        // RFC 8689 §5: the MX may also come from an MTA-STS policy in enforce mode instead of DNSSEC.
        return plan.requiringTLS(hostIsSecure: host.isSecure || mtaSTS?.policy.mode == .enforce, host: host.name)
    }

    /// RFC 8689 §5: a REQUIRETLS message goes only to an MX host found through DNSSEC (or an enforced
    /// MTA-STS policy), over TLS with a certificate verified by DANE or by a trusted CA for the host name.
    func requiringTLS(hostIsSecure: Bool, host: String) -> Result<HostTLSPlan, HostUnusable> {
        if check == .dane { return .success(self) }
        guard hostIsSecure else {
            return .failure(HostUnusable(status: "4.7.5", reason: "REQUIRETLS: \(host) was not found through DNSSEC"))
        }
        var plan = self
        plan.mode = .required
        plan.plaintextFallback = false
        if check == .anything {
            plan.check = .pkix
            plan.expectation.referenceNames = [host]
        }
        plan.policyDescription += ", REQUIRETLS"
        return .success(plan)
    }

    /// The plan for `host` when the domain's MTA-STS policy may apply (its level is opportunistic, see
    /// `OutboundTLSPolicyTable.consultsMTASTS`). DANE wins where the host has usable DNSSEC-secure TLSA
    /// records (RFC 8461 §2); otherwise `enforce` uses only hosts the policy lists, over TLS with a
    /// certificate PKIX-valid for the MX host name (RFC 8461 §4), and `testing` keeps the opportunistic plan
    /// and notes what enforcing would have checked.
    static func plan(
        policy: OutboundTLSPolicy, mtaSTS: MTASTSCachedPolicy?, domain: String, host: String, hostIsSecure: Bool,
        tlsa: [TLSAData]
    ) -> Result<HostTLSPlan, HostUnusable> {
        let base = plan(policy: policy, domain: domain, host: host, hostIsSecure: hostIsSecure, tlsa: tlsa)
        guard let mtaSTS, mtaSTS.policy.mode != .none, case .success(var plan) = base else { return base }
        if plan.check == .dane {
            plan.policyDescription += ", over \(mtaSTS.summary)"
            return .success(plan)
        }
        let allowed = mtaSTS.policy.allows(mxHost: host)
        switch mtaSTS.policy.mode {
        case .enforce:
            guard allowed else {
                return .failure(HostUnusable(
                    status: "4.7.5", reason: "\(host) is not an MX host the MTA-STS policy of \(domain) allows (\(mtaSTS.summary))"))
            }
            return .success(HostTLSPlan(
                mode: .required, expectation: TLSPeerExpectation(serverName: host, referenceNames: [host]),
                check: .pkix, policyDescription: mtaSTS.summary, plaintextFallback: false))
        case .testing, .none:
            plan.policyDescription += ", \(mtaSTS.summary)"
            plan.reportOnly = ReportOnly(policy: mtaSTS.summary, hostAllowed: allowed)
            return .success(plan)
        }
    }

    /// The plan for a smarthost: TLS always, verified against its name.
    static func relay(host: String, implicitTLS: Bool) -> HostTLSPlan {
        HostTLSPlan(
            mode: implicitTLS ? .implicit : .required,
            expectation: TLSPeerExpectation(serverName: host, referenceNames: [host], tlsa: [], daneBaseDomain: nil),
            check: .pkix, policyDescription: "relay: verify (\(host))", plaintextFallback: false)
    }

    /// Under an MTA-STS `testing` policy: why enforcing it would have refused this connection, or nil when
    /// it would not have (or nothing was learnt: the connection failed before EHLO).
    public func reportOnlyFailure(tls: TLSClientSessionInfo?, reachedEHLO: Bool) -> String? {
        guard let reportOnly, tls != nil || reachedEHLO else { return nil }
        let host = expectation.serverName ?? "the host"
        if !reportOnly.hostAllowed { return "\(host) is not an MX host the policy allows" }
        guard let tls else { return "the session ran without TLS" }
        if case .failed(let reason) = tls.verification {
            return "the certificate is not valid for \(host): \(reason)"
        }
        return nil
    }

    /// Nil when the handshake's result satisfies the plan, else why not (for the log and the deferral).
    public func rejection(of info: TLSClientSessionInfo) -> String? {
        if let reason = checkRejection(of: info) { return reason }
        if let pinned, info.securityLevel < pinned.level {
            return "possible STRIPTLS downgrade: the \(pinned.by) was seen \(pinned.level), now \(info.securityLevel)"
        }
        return nil
    }

    private func checkRejection(of info: TLSClientSessionInfo) -> String? {
        switch check {
        case .anything:
            return nil
        case .dane:
            if case .daneVerified = info.verification { return nil }
            return "the certificate does not match the TLSA records (\(info.verification.summary))"
        case .pkix:
            switch info.verification {
            case .verified, .daneVerified: return nil
            case .failed(let reason): return "certificate verification failed: \(reason)"
            }
        case .fingerprint(let accepted):
            guard let leaf = info.peerChain.first else { return "no certificate was presented" }
            if accepted.contains(leaf.sha256Fingerprint) || accepted.contains(leaf.publicKeySHA256) { return nil }
            return "the certificate's fingerprint \(leaf.sha256Fingerprint) is not in the policy"
        }
    }
}

/// Why a host was skipped before connecting: a temporary failure with an enhanced status code.
public struct HostUnusable: Error, Sendable, Equatable {
    /// The RFC 3463 status the recipients are deferred with ("4.7.5").
    public internal(set) var status: String
    public internal(set) var reason: String
    /// The TLS-RPT result type (RFC 8460 §4.3) when the host was skipped for a TLS reason.
    var tlsReportResult: String? = nil
}

extension TLSClientSessionInfo {
    /// The level this handshake reached (the reference names asked were the host's own).
    public var securityLevel: TLSSecurityLevel {
        switch verification {
        case .daneVerified: .dane
        case .verified: .verified
        case .failed: .encrypted
        }
    }
}

extension TLSPeerVerification {
    /// "verified", "DANE verified (EE)", "failed: hostname mismatch".
    public var summary: String {
        switch self {
        case .verified(let name): return name.map { "verified (\($0))" } ?? "verified"
        case .daneVerified(let depth, _): return depth == 0 ? "DANE verified (end entity)" : "DANE verified (trust anchor at depth \(depth))"
        case .failed(let reason): return "not verified: \(reason)"
        }
    }
}
