import DNS
import Delivery

/// The domain's TLS-RPT record (RFC 8460 §3) as `loft check-tls --mx` found it at `_smtp._tls.<domain>`.
public struct TLSReportFindings: Sendable {
    /// `_smtp._tls.<domain>`.
    public var owner: String
    /// What DNSSEC said about the answer (nil: no answer came back).
    public var dnssec: DNSSECStatus?
    /// The TLSRPTv1 record, when one is published.
    public var record: TLSReportRecord?
    /// Why the lookup failed, when it did.
    public var lookupFailure: String?

    static func lookUp(domain: String, resolver: DNSResolver, runtime: TLSCheckRuntime) async -> TLSReportFindings {
        let owner = TLSReportRecord.owner(of: domain)
        do {
            let answer = try await runtime.blocking { try resolver.txt(owner) }
            return TLSReportFindings(owner: owner, dnssec: answer.status, record: TLSReportRecord.select(from: answer.records),
                                     lookupFailure: nil)
        } catch {
            return TLSReportFindings(owner: owner, dnssec: nil, record: nil, lookupFailure: "\(error)")
        }
    }
}
