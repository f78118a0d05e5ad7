/// How a check ended, and the exit status it gives `loft check-tls`.
public enum TLSCheckStatus: String, Sendable, Equatable {
    /// TLS works as it should.
    case ok
    /// Something is broken: no TLS, a failed handshake, a certificate that fails verification or has
    /// expired, a DANE mismatch.
    case broken
    /// Nothing to check: the host could not be reached or resolved, the domain does not exist, the
    /// setup (a CA file, the DNS settings) is unusable.
    case unreachable

    /// 0, 1, 2.
    public var exitCode: Int32 {
        switch self {
        case .ok: return 0
        case .broken: return 1
        case .unreachable: return 2
        }
    }
}

/// The end of a check in plain words.
public struct TLSCheckVerdict: Sendable, Equatable {
    public var status: TLSCheckStatus
    /// One line: "OK: ..." or the most important problem.
    public var summary: String
    /// Everything broken, most important first (the summary is the first one).
    public var problems: [String]
    /// What works but deserves attention (passwords offered before TLS, TLS 1.0 still accepted, a
    /// certificate about to expire).
    public var warnings: [String]

    public init(status: TLSCheckStatus, summary: String, problems: [String], warnings: [String]) {
        self.status = status
        self.summary = summary
        self.problems = problems
        self.warnings = warnings
    }
}
