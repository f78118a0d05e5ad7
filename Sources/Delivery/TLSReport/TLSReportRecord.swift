/// A domain's TLS-RPT record (RFC 8460 §3), the TXT record at `_smtp._tls.<domain>`: where it wants the daily
/// reports of senders' TLS results.
public struct TLSReportRecord: Sendable, Equatable {
    /// The record as published: "v=TLSRPTv1; rua=mailto:tlsrpt@example.net".
    public var text: String
    /// Its `mailto:` report addresses: the ones Loft sends to (it skips `https:` URIs).
    public var mailAddresses: [String]

    /// The domain's record among the TXT strings found at `_smtp._tls.<domain>`: the first TLSRPTv1 one, or nil.
    public static func select(from texts: [String]) -> TLSReportRecord? {
        for text in texts {
            if let addresses = TLSReportMessage.reportAddresses(in: text) {
                return TLSReportRecord(text: text, mailAddresses: addresses)
            }
        }
        return nil
    }

    /// The name the record lives at.
    public static func owner(of domain: String) -> String {
        "_smtp._tls." + domain
    }
}
