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

    /// The plan for a smarthost: TLS always, verified against its name.
    static func relay(host: String, implicitTLS: Bool) -> HostTLSPlan {
        HostTLSPlan(
            mode: implicitTLS ? .implicit : .required,
            expectation: TLSPeerExpectation(serverName: host, referenceNames: [host], tlsa: [], daneBaseDomain: nil),
            check: .pkix, policyDescription: "relay: verify (\(host))", plaintextFallback: false)
    }

    /// Nil when the handshake's result satisfies the plan, else why not (for the log and the deferral).
    public func rejection(of info: TLSClientSessionInfo) -> String? {
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
