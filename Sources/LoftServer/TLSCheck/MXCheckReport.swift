import DNS
import Delivery
import Foundation
import TLS

/// Everything `loft check-tls --mx DOMAIN` found: the queue's view of the domain (MX hosts, DNSSEC,
/// TLSA, MTA-STS, the downgrade memory, TLS plans), for every address what a connection to it showed
/// and what the queue would do, and the domain's TLS-RPT record.
public struct MXCheckReport: Sendable {
    /// One address of one MX host.
    public struct AddressReport: Sendable {
        public var address: IPAddress
        /// Why no connection could be made, if none was.
        public var connectFailure: String?
        /// The SMTP dialogue, the handshake and the verification under the host's TLS plan.
        public var connection: TLSCheckConnectionResult?
        /// What the queue does with mail for this address, after "the queue": "delivers over TLS, DANE
        /// verified (end entity)", "defers mail to it (may: dane (1 usable TLSA))".
        public var queueAction: String
        public var status: TLSCheckStatus
        /// What is wrong here (`status` broken or unreachable), starting with the host and address.
        public var problem: String?
        public var warnings: [String]
        /// What the connection showed, as the downgrade memory would record it (nil: nothing learnt).
        public var observedLevel: TLSSecurityLevel? = nil
        /// The connection fell below the level the downgrade memory pinned: the queue would defer and raise a
        /// STRIPTLS alert.
        public var stripTLSSuspect = false
    }

    /// One MX host the queue would try.
    public struct HostReport: Sendable {
        public var host: DestinationInspection.Host
        public var addresses: [AddressReport]
    }

    public var domain: String
    public var checkedAt: Date
    /// Where the settings came from: the config file, or the demo's defaults.
    public var settingsSource: String
    /// Set when the configuration sends this domain's mail through a relay instead of its MX hosts.
    public var relay: String?
    /// Nothing could be checked: the DNS settings or the CA file are unusable.
    public var setupFailure: String?
    /// The queue's view of the domain; nil only with `setupFailure`.
    public var inspection: DestinationInspection?
    public var hosts: [HostReport]
    /// MX records the queue does not try: past its limit of hosts, or without an address.
    public var untriedMX: [MXRecord]
    /// The domain's MTA-STS (RFC 8461); nil only with `setupFailure`.
    public var mtaSTS: MTASTSFindings?
    /// The queue's STRIPTLS downgrade memory; nil only with `setupFailure`.
    public var downgradeMemory: DowngradeMemoryFindings?
    /// The domain's TLS-RPT record (RFC 8460); nil only with `setupFailure`.
    public var tlsReport: TLSReportFindings?
    public var verdict: TLSCheckVerdict

    public init(domain: String, checkedAt: Date, settingsSource: String, relay: String?, setupFailure: String?,
                inspection: DestinationInspection?, hosts: [HostReport], untriedMX: [MXRecord],
                mtaSTS: MTASTSFindings? = nil, downgradeMemory: DowngradeMemoryFindings? = nil,
                tlsReport: TLSReportFindings? = nil) {
        self.domain = domain
        self.checkedAt = checkedAt
        self.settingsSource = settingsSource
        self.relay = relay
        self.setupFailure = setupFailure
        self.inspection = inspection
        self.hosts = hosts
        self.untriedMX = untriedMX
        self.mtaSTS = mtaSTS
        self.downgradeMemory = downgradeMemory
        self.tlsReport = tlsReport
        self.verdict = TLSCheckVerdict(status: .ok, summary: "", problems: [], warnings: [])
        self.verdict = assess()
    }

    private func assess() -> TLSCheckVerdict {
        func verdict(_ status: TLSCheckStatus, _ summary: String, problems: [String]? = nil,
                     warnings: [String] = []) -> TLSCheckVerdict {
            TLSCheckVerdict(status: status, summary: summary, problems: problems ?? (status == .ok ? [] : [summary]),
                            warnings: warnings)
        }
        if let setupFailure { return verdict(.unreachable, setupFailure) }
        guard let inspection else { return verdict(.unreachable, "\(domain): nothing was checked") }
        var warnings: [String] = []
        if let relay { warnings.append(relay) }
        warnings += mtaSTS?.warnings ?? []
        if let failure = downgradeMemory?.readFailure {
            warnings.append("cannot read the downgrade memory (\(failure)): the plans shown carry no pins")
        }
        switch inspection.outcome {
        case .undeliverable(_, let reason):
            // A null MX is a domain's deliberate answer, not a TLS problem.
            if inspection.mx?.records.contains(where: \.isNullMX) == true {
                return verdict(.ok, "\(domain) accepts no mail (null MX, RFC 7505): the queue bounces mail for it at once, "
                               + "there is no server to check", warnings: warnings)
            }
            return verdict(.unreachable, reason, warnings: warnings)
        case .temporary(_, let reason):
            if case .bogus = inspection.mx?.status {
                return verdict(.broken, "\(domain): \(reason); the queue defers its mail", warnings: warnings)
            }
            return verdict(.unreachable, "\(domain): \(reason); the queue defers its mail", warnings: warnings)
        case .hosts:
            break
        }
        var problems: [String] = []
        // A possible attack goes first: it is what the admin must look at.
        var suspects: [String] = []
        var unreachable: [String] = []
        for host in hosts {
            if case .failure(let unusable) = host.host.plan {
                if let sts = inspection.mtaSTS, sts.policy.mode == .enforce, !sts.policy.allows(mxHost: host.host.name) {
                    problems.append("\(host.host.name): not in the MTA-STS policy of \(domain) (\(sts.summary), mx "
                                    + "\(sts.policy.mx.joined(separator: ", "))); the queue skips it")
                } else {
                    problems.append("\(host.host.name): the queue skips it: \(unusable.reason)")
                }
            }
            for address in host.addresses {
                warnings += address.warnings
                switch address.status {
                case .ok: break
                case .broken where address.stripTLSSuspect: suspects += address.problem.map { [$0] } ?? []
                case .broken: problems += address.problem.map { [$0] } ?? []
                case .unreachable: unreachable += address.problem.map { [$0] } ?? []
                }
            }
        }
        problems = suspects + problems
        if let first = problems.first {
            return verdict(.broken, first, problems: problems + unreachable, warnings: warnings)
        }
        if let first = unreachable.first {
            return verdict(.unreachable, first, problems: unreachable, warnings: warnings)
        }
        let reached = hosts.flatMap { host in host.addresses.map { (host.host.name, $0) } }
        let details = reached.map { "\($0.0) [\($0.1.address)]: the queue \($0.1.queueAction)" }.joined(separator: "; ")
        return verdict(.ok, "OK: \(domain): \(details)", warnings: warnings)
    }
}
