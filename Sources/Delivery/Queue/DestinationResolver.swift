import DNS
import TLS

/// One host mail for a domain may go to, with what DNS said about it.
struct DestinationHost: Sendable, Equatable {
    var name: String
    /// MX preference; 0 for the implicit MX (the domain's own address) and relays.
    var preference: Int
    /// IPv6 first, then IPv4.
    var addresses: [IPAddress]
    /// The MX RRset and the host's addresses were DNSSEC-secure, so its TLSA records may be used.
    var isSecure: Bool
    /// The host's TLSA records when it is secure and the policy looks for DANE.
    var tlsa: [TLSAData]
    /// Set when the host must not be used this time (bogus DNS, a failed TLSA lookup): a temporary failure.
    var unusable: HostUnusable?
    /// What DNSSEC said about the AAAA and the A answer (nil: not looked up), for `loft check-tls --mx`.
    var ipv6Status: DNSSECStatus? = nil
    var ipv4Status: DNSSECStatus? = nil
    /// Whether TLSA records were looked up, and what DNSSEC said about the answer (nil: none came back).
    var tlsaLookedUp = false
    var tlsaStatus: DNSSECStatus? = nil
}

/// Where a domain's mail can go, as DNS says (RFC 5321 §5.1, RFC 7505, RFC 7672).
enum DestinationPlan: Sendable, Equatable {
    case hosts([DestinationHost])
    /// A permanent answer: the domain does not exist, or it said it takes no mail (null MX).
    case undeliverable(status: String, reason: String)
    /// Try again later (SERVFAIL, a bogus answer, no usable host).
    case temporary(status: String, reason: String)
}

/// Looks up a domain's MX hosts, their addresses and, where DANE may apply, their TLSA records.
/// Every call blocks on DNS: run it on a thread pool.
struct DestinationResolver: Sendable {
    let resolver: DNSResolver
    /// The most MX hosts tried for one domain (Postfix: `smtp_mx_address_limit`).
    var maximumHosts = 5

    /// - Parameter wantsTLSA: whether the domain's policy can use DANE (TLSA are looked up only then).
    func plan(domain: String, port: Int, wantsTLSA: Bool) -> DestinationPlan {
        inspect(domain: domain, port: port, wantsTLSA: wantsTLSA).plan
    }

    /// `plan` with the MX answer it was made from (nil when the MX lookup itself failed), for reports.
    func inspect(domain: String, port: Int, wantsTLSA: Bool) -> (mx: DNSAnswer<MXRecord>?, plan: DestinationPlan) {
        var answer: DNSAnswer<MXRecord>?
        let plan = plan(domain: domain, port: port, wantsTLSA: wantsTLSA, mxAnswer: &answer)
        return (answer, plan)
    }

    private func plan(domain: String, port: Int, wantsTLSA: Bool, mxAnswer: inout DNSAnswer<MXRecord>?) -> DestinationPlan {
        do {
            let mx = try resolver.mx(domain)
            mxAnswer = mx
            if case .bogus(let why) = mx.status {
                return .temporary(status: "4.4.3", reason: "DNSSEC validation of the MX records of \(domain) failed: \(why)")
            }
            guard mx.nameExists else {
                return .undeliverable(status: "5.1.2", reason: "the domain \(domain) does not exist (NXDOMAIN)")
            }
            // RFC 7505 §3: a single MX of "." says the domain accepts no mail.
            if mx.records.contains(where: { $0.host.isEmpty }) {
                return .undeliverable(status: "5.1.10", reason: "\(domain) accepts no mail (null MX, RFC 7505)")
            }
            let mxSecure = mx.status == .secure
            // RFC 5321 §5.1: no MX records means the domain itself is the host (the "implicit MX").
            let names: [(String, Int)] = mx.records.isEmpty
                ? [(domain, 0)] : mx.records.prefix(maximumHosts).map { ($0.host, Int($0.preference)) }
            var hosts: [DestinationHost] = []
            for (name, preference) in names {
                hosts.append(try host(name, preference: preference, port: port, mxSecure: mxSecure, wantsTLSA: wantsTLSA))
            }
            let reachable = hosts.filter { !$0.addresses.isEmpty || $0.unusable != nil }
            if reachable.isEmpty {
                return mx.records.isEmpty
                    ? .undeliverable(status: "5.1.2", reason: "\(domain) has no MX records and no address")
                    : .temporary(status: "4.4.4", reason: "no MX host of \(domain) has an address")
            }
            return .hosts(reachable)
        } catch {
            return .temporary(status: "4.4.3", reason: "DNS lookup for \(domain) failed: \(error)")
        }
    }

    /// The addresses (and, when secure and wanted, TLSA records) of one host.
    func host(_ name: String, preference: Int, port: Int, mxSecure: Bool, wantsTLSA: Bool) throws -> DestinationHost {
        var host = DestinationHost(name: name, preference: preference, addresses: [], isSecure: false, tlsa: [], unusable: nil)
        let v6 = try resolver.ipv6(name)
        let v4 = try resolver.ipv4(name)
        host.ipv6Status = v6.status
        host.ipv4Status = v4.status
        for answer in [v6, v4] {
            if case .bogus(let why) = answer.status {
                host.unusable = HostUnusable(
                    status: "4.4.3", reason: "DNSSEC validation of the address of \(name) failed: \(why)", tlsReportResult: "dnssec-invalid")
                return host
            }
        }
        host.addresses = v6.records + v4.records
        host.isSecure = mxSecure && v6.status == .secure && v4.status == .secure
        guard wantsTLSA, host.isSecure, !host.addresses.isEmpty else { return host }
        // RFC 7672 §2.2: a TLSA lookup that fails or is bogus makes the host unusable, never "no DANE".
        host.tlsaLookedUp = true
        do {
            let tlsa = try resolver.tlsa(host: name, port: port)
            host.tlsaStatus = tlsa.status
            switch tlsa.status {
            case .bogus(let why):
                host.unusable = HostUnusable(
                    status: "4.7.5", reason: "DNSSEC validation of the TLSA records of \(name) failed: \(why)", tlsReportResult: "tlsa-invalid")
            case .insecure:
                break  // an insecure delegation below a secure MX: no DANE
            case .secure:
                host.tlsa = tlsa.records.map {
                    TLSAData(usage: $0.usage, selector: $0.selector, matchingType: $0.matchingType, data: $0.data)
                }
            }
        } catch {
            host.unusable = HostUnusable(status: "4.7.5", reason: "TLSA lookup for \(name) failed: \(error)", tlsReportResult: "tlsa-invalid")
        }
        return host
    }
}
