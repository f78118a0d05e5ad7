import Foundation
public import TLS

/// When to ask the CA again: pure decisions over the stored certificate and the clock.
public enum ACMERenewalSchedule {
    /// From this long before expiry, every day without a renewed certificate is logged loudly.
    public static let warningWindow: TimeInterval = 14 * 86400
    /// The first wait after a failure; it doubles up to `maximumBackoff`.
    public static let initialBackoff: Duration = .seconds(60)
    public static let maximumBackoff: Duration = .seconds(6 * 3600)

    /// Why a certificate must be obtained now, or nil when the stored one is good until its renewal date.
    public static func reasonToIssue(leaf: TLSCertificateSummary?, names: [String], now: Date) -> String? {
        guard let leaf else { return "no certificate yet" }
        if leaf.subject == leaf.issuer { return "the certificate is a temporary self-signed one" }
        let covered = Set(leaf.dnsNames.map { $0.lowercased() })
        let missing = names.filter { !covered.contains($0.lowercased()) }
        if !missing.isEmpty { return "the certificate does not cover \(missing.joined(separator: ", "))" }
        if now >= renewalDate(leaf) { return "two thirds of the certificate's lifetime have passed" }
        return nil
    }

    /// Two thirds into the certificate's lifetime (what Let's Encrypt recommends for 90-day certificates).
    public static func renewalDate(_ leaf: TLSCertificateSummary) -> Date {
        leaf.notBefore.addingTimeInterval(leaf.notAfter.timeIntervalSince(leaf.notBefore) * 2 / 3)
    }

    /// The wait after `failures` failed attempts in a row (1 min, 2 min, 4 min, ... at most 6 h).
    public static func backoff(failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let factor = 1 << min(failures - 1, 20)
        return min(initialBackoff * factor, maximumBackoff)
    }

    /// Whether `now` is inside the loud-warning window before the leaf's expiry.
    public static func isNearExpiry(_ leaf: TLSCertificateSummary, now: Date) -> Bool {
        leaf.notAfter.timeIntervalSince(now) < warningWindow
    }
}
