/// One UTC day of TLS results for the TLS-RPT reports (RFC 8460 §4): per recipient domain and policy type,
/// how many sessions succeeded and how the others failed.
public struct TLSReportDay: Sendable, Equatable, Codable {
    /// "2026-12-06".
    public var day: String
    /// By recipient domain, then by policy type.
    public var domains: [String: [String: PolicyResults]]

    public init(day: String, domains: [String: [String: PolicyResults]] = [:]) {
        self.day = day
        self.domains = domains
    }

    /// The results under one policy.
    public struct PolicyResults: Sendable, Equatable, Codable {
        /// RFC 8460 §4.3: "tlsa", "sts" or "no-policy-found".
        public var policyType: String
        /// The TLSA records (or the MTA-STS policy lines) the sessions were checked against.
        public var policyStrings: [String]
        public var successes: Int
        /// By `FailureDetail.key`.
        public var failures: [String: FailureDetail]

        public init(policyType: String, policyStrings: [String] = [], successes: Int = 0, failures: [String: FailureDetail] = [:]) {
            self.policyType = policyType
            self.policyStrings = policyStrings
            self.successes = successes
            self.failures = failures
        }

        public var failureCount: Int { failures.values.reduce(0) { $0 + $1.count } }
    }

    /// Failed sessions of one kind with one host (RFC 8460 §4.3 failure details).
    public struct FailureDetail: Sendable, Equatable, Codable {
        /// "starttls-not-supported", "certificate-host-mismatch", "validation-failure", ...
        public var resultType: String
        public var receivingMXHostname: String
        public var receivingIP: String
        public var count: Int

        var key: String { "\(resultType) \(receivingMXHostname) \(receivingIP)" }
    }

    /// Counts one session.
    mutating func record(_ session: TLSReportSession) {
        var results = domains[session.domain, default: [:]][session.policyType]
            ?? PolicyResults(policyType: session.policyType, policyStrings: session.policyStrings)
        if let resultType = session.failure {
            let detail = FailureDetail(
                resultType: resultType, receivingMXHostname: session.mxHost, receivingIP: session.ip, count: 1)
            results.failures[detail.key, default: FailureDetail(
                resultType: resultType, receivingMXHostname: session.mxHost, receivingIP: session.ip, count: 0)].count += 1
        } else {
            results.successes += 1
        }
        if results.policyStrings.isEmpty { results.policyStrings = session.policyStrings }
        domains[session.domain, default: [:]][session.policyType] = results
    }

    /// Adds `other`'s counts (the same day, from another flush) to these.
    mutating func merge(_ other: TLSReportDay) {
        for (domain, policies) in other.domains {
            for (type, results) in policies {
                var merged = domains[domain, default: [:]][type] ?? PolicyResults(policyType: type, policyStrings: results.policyStrings)
                merged.successes += results.successes
                for (key, detail) in results.failures {
                    merged.failures[key, default: FailureDetail(
                        resultType: detail.resultType, receivingMXHostname: detail.receivingMXHostname,
                        receivingIP: detail.receivingIP, count: 0)].count += detail.count
                }
                domains[domain, default: [:]][type] = merged
            }
        }
    }
}

/// One session's result, as TLS-RPT counts it.
struct TLSReportSession: Sendable, Equatable {
    var domain: String
    var policyType: String
    var policyStrings: [String]
    var mxHost: String
    var ip: String
    /// nil: TLS was negotiated as the policy asked.
    var failure: String?
}
