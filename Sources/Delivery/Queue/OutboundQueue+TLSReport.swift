import DNS
import Foundation
import Logging
import TLS

extension OutboundQueue {
    /// Counts one connection for the TLS-RPT report of `domain` (RFC 8460): under DANE ("tlsa") or no
    /// policy, TLS negotiated as the plan asked or why not. Connections that never reached EHLO, and plans
    /// that did not ask for TLS, are not TLS sessions and are not counted.
    func countForTLSReport(
        _ report: ConnectionReport, plan: HostTLSPlan, mtaSTS: MTASTSCachedPolicy?, host: DestinationHost,
        address: IPAddress, domain: String
    ) {
        guard let capabilities = report.capabilities, plan.mode != .none else { return }
        var failure: String?
        if let tls = report.tls {
            if let reason = plan.rejection(of: tls) { failure = Self.resultType(check: plan.check, reason: reason) }
        } else if report.handshakeFailed {
            failure = "validation-failure"
        } else if !capabilities.starttls {
            failure = "starttls-not-supported"
        } else {
            return
        }
        let sts = plan.check != .dane ? mtaSTS.flatMap { $0.policy.mode == .none ? nil : $0 } : nil
        tlsReports.record(TLSReportSession(
            domain: domain, policyType: sts != nil ? "sts" : Self.policyType(plan),
            policyStrings: sts.map(Self.policyStrings) ?? Self.policyStrings(plan),
            mxHost: host.name, ip: "\(address)", failure: failure), at: clock())
    }

    /// The policy as RFC 8460 §4.3 quotes an MTA-STS policy: its lines.
    static func policyStrings(_ sts: MTASTSCachedPolicy) -> [String] {
        ["version: STSv1", "mode: \(sts.policy.mode.rawValue)"] + sts.policy.mx.map { "mx: \($0)" }
            + ["max_age: \(sts.policy.maxAge)"]
    }

    /// Counts an MX host skipped for a TLS reason (a bogus or failed DNSSEC/TLSA lookup).
    func countSkippedHost(_ unusable: HostUnusable, host: DestinationHost, domain: String) {
        guard let result = unusable.tlsReportResult else { return }
        tlsReports.record(TLSReportSession(
            domain: domain, policyType: result == "tlsa-invalid" ? "tlsa" : "no-policy-found", policyStrings: [],
            mxHost: host.name, ip: host.addresses.first.map { "\($0)" } ?? "", failure: result), at: clock())
    }

    static func policyType(_ plan: HostTLSPlan) -> String {
        plan.check == .dane ? "tlsa" : "no-policy-found"
    }

    static func policyStrings(_ plan: HostTLSPlan) -> [String] {
        plan.expectation.tlsa.map { record in
            "\(record.usage) \(record.selector) \(record.matchingType) " + record.data.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// RFC 8460 §4.3 result types from why a handshake was not accepted.
    static func resultType(check: HostTLSPlan.Check, reason: String) -> String {
        if check == .dane { return "validation-failure" }
        if reason.contains("hostname mismatch") { return "certificate-host-mismatch" }
        if reason.contains("expired") { return "certificate-expired" }
        if reason.contains("STRIPTLS") { return "validation-failure" }
        return "certificate-not-trusted"
    }

    /// Writes the collected counts, then, once a UTC day is over, sends each domain that asks for them
    /// (a `_smtp._tls` TXT record with `rua=mailto:`) its report for that day, and removes the day.
    func tlsReportMaintenance(now: Date, flushing: Bool) async {
        let collector = tlsReports
        let resolver = destinations.resolver
        let settings = self.settings
        let sink = reports
        do {
            if flushing { try await threadPool.runIfActive { try collector.flush() } }
            let days = try await threadPool.runIfActive { try collector.completeDays(before: now) }
            for day in days {
                guard let results = try await threadPool.runIfActive({ try collector.load(day: day) }) else { continue }
                var sent = 0
                for domain in results.domains.keys.sorted() {
                    let addresses = try await threadPool.runIfActive { () -> [String] in
                        guard let answer = try? resolver.txt(TLSReportRecord.owner(of: domain)) else { return [] }
                        if case .bogus = answer.status { return [] }
                        return TLSReportRecord.select(from: answer.records)?.mailAddresses ?? []
                    }
                    guard !addresses.isEmpty else { continue }
                    let message = TLSReportMessage(
                        submitter: settings.hostname, contact: settings.postmaster, domain: domain, day: results, now: now)
                    for address in addresses {
                        try await threadPool.runIfActive { try sink.deliverReport(message.render(to: address), to: address) }
                        sent += 1
                    }
                }
                try await threadPool.runIfActive { try collector.remove(day: day) }
                logger.info("TLS reports sent", metadata: ["day": "\(day)", "reports": "\(sent)"])
            }
        } catch {
            logger.error("TLS reporting failed", metadata: ["error": "\(error)"])
        }
    }
}
