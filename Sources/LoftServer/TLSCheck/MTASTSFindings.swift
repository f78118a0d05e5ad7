import DNS
import Delivery
import Foundation
import TLS

/// What `loft check-tls --mx` found of a domain's MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy
/// served now, what the queue has cached, and from these the policy the queue applies, decided as the
/// queue's cache decides (`MTASTSCacheDecision`); then, per MX host, what that policy asks of it.
public struct MTASTSFindings: Sendable {
    /// What the queue's cache holds for the domain.
    public enum Cache: Sendable {
        /// No data directory is known, so the queue's cache cannot be read.
        case unknown
        /// The file does not exist: the queue has fetched nothing for the domain (or it expired).
        case empty(path: String)
        case stored(path: String, MTASTSCachedPolicy)
        case unreadable(path: String, reason: String)
    }

    /// What the policy asks of one MX host: to be listed, and a certificate PKIX-valid for its name (§4).
    public struct HostFinding: Sendable {
        public var host: String
        /// The host matches one of the policy's `mx` patterns (§4.1).
        public var allowed: Bool
        /// The certificate was PKIX-valid for the host name at every address reached over TLS; nil when not
        /// known (no TLS session, DANE decides, the queue skips the host).
        public var certificateValid: Bool?
        /// Why the certificate is not valid, or why that is not known.
        public var detail: String?
    }

    public var domain: String
    /// `mta-sts.<domain>`.
    public var policyHost: String
    /// The `_mta-sts` TXT lookup, as the queue reads it.
    public var record: MTASTSRecordLookup
    /// Every TXT string found at `_mta-sts.<domain>`.
    public var recordTexts: [String]
    /// What DNSSEC said about that answer (nil: no answer came back).
    public var recordDNSSEC: DNSSECStatus?
    /// The policy served now; nil when it was not fetched (the domain publishes no record, so senders do not
    /// look for one).
    public var served: Result<MTASTSPolicy, MTASTSError>?
    public var cache: Cache
    /// The policy the queue applies to the domain now (nil: none), whether or not it consults MTA-STS.
    public var applied: MTASTSCachedPolicy?
    /// Why the queue does not look MTA-STS up for this domain (the policy table decides); nil when it does.
    public var notConsulted: String?
    /// Per MX host, against `policyJudged`; empty when there is no policy to judge them by.
    public var hosts: [HostFinding] = []

    /// `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    public var policyURL: String { "https://\(policyHost)/.well-known/mta-sts.txt" }

    /// The policy the hosts are held against: the one the queue applies, else the one served now.
    public var policyJudged: MTASTSPolicy? {
        if let applied { return applied.policy }
        if case .success(let policy)? = served { return policy }
        return nil
    }

    public var cachedPolicy: MTASTSCachedPolicy? {
        if case .stored(_, let cached) = cache { return cached }
        return nil
    }

    /// Looks up the record, reads the queue's cache under `queueDirectory` (never writes it), fetches the policy
    /// live when a record is published (or its lookup failed), and works out the policy the queue applies.
    static func gather(
        domain: String, resolver: DNSResolver, fetcher: MTASTSPolicyFetcher, queueDirectory: String?,
        policies: OutboundTLSPolicyTable, now: Date, runtime: TLSCheckRuntime
    ) async -> MTASTSFindings {
        let looked = try? await runtime.blocking { MTASTSRecordLookup.lookUp(domain: domain, resolver: resolver) }
        let record = looked?.lookup ?? .failed("the check is shutting down")

        var cache = Cache.unknown
        if let queueDirectory {
            let store = MTASTSPolicyStore(queueDirectory: queueDirectory)
            let path = store.path(for: domain) ?? store.directory
            do {
                cache = try await runtime.blocking { try store.load(domain: domain) }.map { .stored(path: path, $0) }
                    ?? .empty(path: path)
            } catch {
                cache = .unreadable(path: path, reason: "\(error)")
            }
        }

        var served: Result<MTASTSPolicy, MTASTSError>?
        if record != .absent {
            served = await fetch(domain: domain, resolver: resolver, fetcher: fetcher, runtime: runtime)
        }

        var findings = MTASTSFindings(
            domain: domain, policyHost: MTASTSPolicyFetcher.policyHost(of: domain), record: record,
            recordTexts: looked?.answer?.records ?? [], recordDNSSEC: looked?.answer?.status, served: served, cache: cache,
            applied: nil, notConsulted: nil)
        let cached = findings.cachedPolicy
        findings.applied = MTASTSCacheDecision.decide(cached: cached, record: record, now: now)
            .policy(domain: domain, cached: cached, fetched: served, now: now)
        if !policies.consultsMTASTS(for: domain) {
            if let entry = policies.entry(for: domain) {
                findings.notConsulted = "[outbound_tls] has a policy for \(domain) (\(entry.level.rawValue)): it decides instead"
            } else {
                findings.notConsulted = "the default TLS level \(policies.defaultPolicy.level.rawValue) is not opportunistic: "
                    + "it decides instead"
            }
        }
        return findings
    }

    private static func fetch(domain: String, resolver: DNSResolver, fetcher: MTASTSPolicyFetcher,
                              runtime: TLSCheckRuntime) async -> Result<MTASTSPolicy, MTASTSError> {
        let addresses: [IPAddress]
        do {
            addresses = try await runtime.blocking { try MTASTSPolicyFetcher.policyHostAddresses(of: domain, resolver: resolver) }
        } catch let error as MTASTSError {
            return .failure(error)
        } catch {
            return .failure(.fetchFailed("\(error)"))
        }
        do {
            return .success(try await fetcher.fetchPolicy(domain: domain, addresses: addresses))
        } catch {
            return .failure(error)
        }
    }

    /// Holds each MX host against `policyJudged`: listed or not, and what its connections showed of its
    /// certificate for its own name.
    mutating func judge(_ reports: [MXCheckReport.HostReport]) {
        guard let policy = policyJudged else { return }
        hosts = reports.map { report in
            let name = report.host.name
            let allowed = policy.allows(mxHost: name)
            guard case .success(let plan) = report.host.plan else {
                return HostFinding(host: name, allowed: allowed, certificateValid: nil, detail: "not contacted: the queue skips it")
            }
            if plan.check == .dane {
                // RFC 8461 §2: where DANE applies, it wins over MTA-STS.
                return HostFinding(host: name, allowed: allowed, certificateValid: nil,
                                   detail: "DANE decides for this host, not MTA-STS")
            }
            guard plan.expectation.referenceNames == [name] else {
                return HostFinding(host: name, allowed: allowed, certificateValid: nil,
                                   detail: "not checked: the queue's plan verifies other names")
            }
            var failures: [String] = []
            var verified = 0
            for address in report.addresses {
                guard let session = address.connection?.session else { continue }
                switch session.verification {
                case .verified: verified += 1
                case .failed(let reason): failures.append("\(address.address): \(reason)")
                case .daneVerified: continue
                }
            }
            if !failures.isEmpty {
                return HostFinding(host: name, allowed: allowed, certificateValid: false, detail: failures.joined(separator: "; "))
            }
            if verified == 0 {
                return HostFinding(host: name, allowed: allowed, certificateValid: nil, detail: "no TLS session to judge")
            }
            return HostFinding(host: name, allowed: allowed, certificateValid: true, detail: nil)
        }
    }

    /// What deserves the admin's attention though mail still flows: a record whose policy cannot be had, a
    /// policy changed without a new id.
    var warnings: [String] {
        var warnings: [String] = []
        let outcome = applied.map { "the queue keeps its cached policy (\($0.summary)) until \(TLSCheckTextRenderer.time($0.expires))" }
            ?? "the queue delivers as if \(domain) had no MTA-STS policy"
        switch record {
        case .failed(let reason):
            warnings.append("the _mta-sts.\(domain) TXT lookup failed (\(reason)): \(outcome)")
        case .found(let id):
            if case .failure(let error)? = served {
                warnings.append("\(domain) publishes an MTA-STS record (id \(id)) but its policy cannot be fetched "
                                + "(\(error)): \(outcome)")
            }
        case .absent:
            break
        }
        if let cached = cachedPolicy, applied == cached, case .success(let policy)? = served, policy != cached.policy,
           case .found(let id) = record, id == cached.id {
            warnings.append("the MTA-STS policy served now differs from the one cached under the same id \(id): senders "
                            + "keep the old one until it expires; publish a new id in _mta-sts.\(domain) with each change")
        }
        return warnings
    }
}
