import Foundation
import TLS

/// What is wrong with a server's certificate, in words an admin acts on: expiry by the dates (which
/// OpenSSL reports only once the chain is trusted), then OpenSSL's verification result.
enum TLSCertificateFindings {
    /// Whole days from `now` to `date`, negative when `date` is past: 29.9 days is 29, and a
    /// certificate that expired 1.1 days ago has -1.
    static func daysLeft(until date: Date, now: Date) -> Int {
        Int((date.timeIntervalSince(now) / 86400).rounded(.towardZero))
    }

    /// "2027-03-01" (UTC).
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The names a certificate covers, for "it covers ...": its subjectAltNames, else its subject.
    static func coveredNames(_ leaf: TLSCertificateSummary) -> String {
        let names = leaf.dnsNames + leaf.ipAddresses
        return names.isEmpty ? "only the subject \(leaf.subject)" : names.joined(separator: ", ")
    }

    /// Problems with the certificate of a completed handshake, each starting with `label`.
    /// - Parameters:
    ///   - label: "587", "993", "mx1.example.net [192.0.2.1]".
    ///   - offering: what the server offered, for a name mismatch ("587 offers STARTTLS but ...").
    ///   - checkDates: false for DANE-EE matches, where dates do not count (RFC 7672 §3.1.1).
    static func problems(
        session: TLSClientSessionInfo, referenceName: String, caFile: String?, label: String, offering: String?,
        checkDates: Bool = true, now: Date
    ) -> [String] {
        guard let leaf = session.peerChain.first else { return ["\(label): the server sent no certificate"] }
        var problems: [String] = []
        if checkDates {
            let days = daysLeft(until: leaf.notAfter, now: now)
            if leaf.notAfter < now {
                let ago = -days == 0 ? "today" : -days == 1 ? "1 day ago" : "\(-days) days ago"
                problems.append("\(label): the certificate expired \(ago) (\(day(leaf.notAfter)))")
            } else if leaf.notBefore > now {
                problems.append("\(label): the certificate is not valid before \(day(leaf.notBefore))")
            }
        }
        guard case .failed(let reason) = session.verification else { return problems }
        if reason.contains("hostname mismatch") || reason.contains("IP address mismatch") {
            let start = offering.map { "\(label) offers \($0) but" } ?? "\(label):"
            problems.append("\(start) the certificate does not cover \(referenceName) (it covers \(coveredNames(leaf)))")
        } else if reason.contains("expired") || reason.contains("not yet valid") {
            if !checkDates || problems.isEmpty { problems.append("\(label): certificate verification failed: \(reason)") }
        } else if isTrustFailure(reason) {
            let issuer = session.peerChain.last?.issuer ?? leaf.issuer
            let hint = caFile == nil ? "; if a private CA issued it, pass its certificate with --ca-file" : ""
            problems.append("\(label): the certificate is not trusted (\(reason); issuer \(issuer))\(hint)")
        } else {
            problems.append("\(label): certificate verification failed: \(reason)")
        }
        return problems
    }

    /// OpenSSL's reasons for a chain that does not lead to a trust anchor.
    static func isTrustFailure(_ reason: String) -> Bool {
        ["self-signed", "self signed", "local issuer", "issuer certificate", "unable to verify the first certificate",
         "certificate signature failure", "untrusted", "CA certificate", "invalid CA"].contains { reason.contains($0) }
    }

    /// A warning when the certificate expires within two weeks.
    static func expiryWarning(session: TLSClientSessionInfo, label: String, now: Date) -> String? {
        guard let leaf = session.peerChain.first, leaf.notAfter >= now else { return nil }
        let days = daysLeft(until: leaf.notAfter, now: now)
        guard days < 14 else { return nil }
        return "\(label): the certificate expires in \(days == 1 ? "1 day" : "\(days) days") (\(day(leaf.notAfter)))"
    }
}
