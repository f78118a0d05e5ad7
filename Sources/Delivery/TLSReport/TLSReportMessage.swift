import Foundation

/// A TLS-RPT aggregate report (RFC 8460 §4) for one domain and one day, as the email RFC 8460 §5.3 sends:
/// `multipart/report; report-type="tlsrpt"` with a human-readable part and the JSON report
/// (`application/tlsrpt+json`, uncompressed: the `+gzip` form is optional).
struct TLSReportMessage {
    var submitter: String
    var contact: String
    var domain: String
    var day: TLSReportDay
    var now: Date

    var reportID: String { "\(day.day)_\(domain)@\(submitter)" }

    /// The JSON report (RFC 8460 §4.4).
    func json() -> [UInt8] {
        let start = "\(day.day)T00:00:00Z", end = "\(day.day)T23:59:59Z"
        let policies: [[String: Any]] = (day.domains[domain] ?? [:]).sorted { $0.key < $1.key }.map { _, results in
            var policy: [String: Any] = ["policy-type": results.policyType, "policy-domain": domain]
            if !results.policyStrings.isEmpty { policy["policy-string"] = results.policyStrings }
            var entry: [String: Any] = [
                "policy": policy,
                "summary": ["total-successful-session-count": results.successes,
                            "total-failure-session-count": results.failureCount],
            ]
            let failures = results.failures.values.sorted { ($0.resultType, $0.receivingMXHostname, $0.receivingIP) < ($1.resultType, $1.receivingMXHostname, $1.receivingIP) }
            if !failures.isEmpty {
                entry["failure-details"] = failures.map {
                    ["result-type": $0.resultType, "receiving-mx-hostname": $0.receivingMXHostname,
                     "receiving-ip": $0.receivingIP, "failed-session-count": $0.count] as [String: Any]
                }
            }
            return entry
        }
        let report: [String: Any] = [
            "organization-name": submitter,
            "date-range": ["start-datetime": start, "end-datetime": end],
            "contact-info": contact,
            "report-id": reportID,
            "policies": policies,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return [UInt8](data)
    }

    /// The whole message to `recipient`, CRLF line ends.
    func render(to recipient: String) -> [UInt8] {
        let boundary = "tlsrpt-" + UUID().uuidString
        // RFC 8460 §5.3: sender!policy-domain!begin-timestamp!end-timestamp.json, seconds since the epoch.
        let begin = Int(TLSReportCollector.start(of: day.day)?.timeIntervalSince1970 ?? 0)
        let filename = "\(submitter)!\(domain)!\(begin)!\(begin + 86399).json"
        let encoded = Data(json()).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let text = """
            From: TLS reports <noreply-tlsrpt@\(submitter)>\r
            To: <\(recipient)>\r
            Subject: Report Domain: \(domain) Submitter: \(submitter) Report-ID: <\(reportID)>\r
            Date: \(MailDate.format(now))\r
            Message-ID: <tlsrpt.\(day.day).\(domain)@\(submitter)>\r
            TLS-Report-Domain: \(domain)\r
            TLS-Report-Submitter: \(submitter)\r
            Auto-Submitted: auto-generated\r
            MIME-Version: 1.0\r
            Content-Type: multipart/report; report-type="tlsrpt"; boundary="\(boundary)"\r
            \r
            --\(boundary)\r
            Content-Type: text/plain; charset=us-ascii\r
            \r
            This is an aggregate TLS report (RFC 8460) from \(submitter) for mail sent to\r
            \(domain) on \(day.day) (UTC).\r
            \r
            --\(boundary)\r
            Content-Type: application/tlsrpt+json\r
            Content-Transfer-Encoding: base64\r
            Content-Disposition: attachment; filename="\(filename)"\r
            \r
            \(encoded)\r
            --\(boundary)--\r

            """
        return Array(text.utf8)
    }

    /// The `mailto:` addresses of a `_smtp._tls` TXT record (RFC 8460 §3): "v=TLSRPTv1; rua=mailto:a@b,https://...".
    /// Other schemes are skipped (reports go by mail only); nil when the record is not a TLSRPTv1 record.
    static func reportAddresses(in record: String) -> [String]? {
        let fields = record.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first == "v=TLSRPTv1" else { return nil }
        guard let rua = fields.first(where: { $0.lowercased().hasPrefix("rua=") }) else { return [] }
        return rua.dropFirst(4).split(separator: ",").compactMap { uri in
            let trimmed = uri.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("mailto:") else { return nil }
            let address = String(trimmed.dropFirst(7)).removingPercentEncoding ?? String(trimmed.dropFirst(7))
            return address.contains("@") ? address : nil
        }
    }
}
