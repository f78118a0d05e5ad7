import Foundation
import TLS

/// Everything `loft check-tls HOST[:PORT]` found about one service.
public struct TLSServiceReport: Sendable {
    /// One address tried that did not answer.
    public struct FailedAttempt: Sendable, Equatable {
        /// "192.0.2.1:587", "[2001:db8::1]:587".
        public var address: String
        public var reason: String
    }

    public var target: TLSCheckTarget
    public var checkedAt: Date
    /// The trust anchors verification used: "the system CAs", "the system CAs and FILE".
    public var trustAnchors: String
    /// Nothing could be checked: the host name does not resolve, no address answered, a setup
    /// problem (an unreadable CA file).
    public var failure: String?
    /// Addresses tried before one answered (or all of them, with `failure`).
    public var failedAttempts: [FailedAttempt]
    /// The address the check talked to.
    public var connectedAddress: String?
    /// The main connection: greeting, capabilities, handshake, certificate chain and verification.
    public var connection: TLSCheckConnectionResult?
    /// One probe per TLS version, oldest first; empty when TLS was never reached.
    public var versions: [TLSVersionProbe]
    public var verdict: TLSCheckVerdict

    public init(target: TLSCheckTarget, checkedAt: Date, trustAnchors: String, failure: String?,
                failedAttempts: [FailedAttempt], connectedAddress: String?, connection: TLSCheckConnectionResult?,
                versions: [TLSVersionProbe]) {
        self.target = target
        self.checkedAt = checkedAt
        self.trustAnchors = trustAnchors
        self.failure = failure
        self.failedAttempts = failedAttempts
        self.connectedAddress = connectedAddress
        self.connection = connection
        self.versions = versions
        self.verdict = TLSCheckVerdict(status: .ok, summary: "", problems: [], warnings: [])
        self.verdict = assess()
    }

    /// "STARTTLS", "STLS" or "implicit TLS": how this service starts TLS.
    var tlsStart: String {
        target.mode == .implicit ? "implicit TLS" : target.protocol.startTLSCommand
    }

    /// The verdict: problems in the order an admin fixes them (reach it, get TLS, then the certificate).
    private func assess() -> TLSCheckVerdict {
        let label = "\(target.port)"
        if let failure {
            return TLSCheckVerdict(status: .unreachable, summary: failure, problems: [failure], warnings: [])
        }
        guard let connection else {
            return TLSCheckVerdict(status: .unreachable, summary: "\(label): nothing was checked", problems: [], warnings: [])
        }
        var problems: [String] = []
        var warnings: [String] = []
        let transcript = connection.transcript
        if let before = transcript.beforeTLS, !before.plaintextLogins.isEmpty {
            warnings.append("\(label) offers \(before.plaintextLogins.joined(separator: ", ")) before TLS: "
                            + "a client could send its password in clear")
        }
        if let session = connection.session {
            problems += TLSCertificateFindings.problems(
                session: session, referenceName: target.referenceName, caFile: target.caFile, label: label,
                offering: target.mode == .starttls ? tlsStart : nil, now: checkedAt)
            if let warning = TLSCertificateFindings.expiryWarning(session: session, label: label, now: checkedAt) {
                warnings.append(warning)
            }
            if let problem = transcript.problem { problems.append("\(label): \(problem)") }
            if let interruption = connection.interruption { problems.append("\(label): \(interruption)") }
        } else if let failure = connection.handshakeFailure {
            problems.append("\(label): the TLS handshake failed: \(failure)")
        } else if let problem = transcript.problem {
            problems.append("\(label): \(problem)")
        } else if let interruption = connection.interruption {
            problems.append("\(label): \(interruption)")
        } else if target.mode == .starttls {
            problems.append("\(label) does not offer \(tlsStart): mail and passwords would travel in clear")
        } else {
            problems.append("\(label): no TLS session was established")
        }
        for probe in versions where probe.isAccepted && probe.version < .tls12 {
            warnings.append("\(label) still accepts TLS \(probe.version.rawValue) (deprecated by RFC 8996)")
        }
        if let first = problems.first {
            return TLSCheckVerdict(status: .broken, summary: first, problems: problems, warnings: warnings)
        }
        return TLSCheckVerdict(status: .ok, summary: okSummary(), problems: [], warnings: warnings)
    }

    private func okSummary() -> String {
        guard let session = connection?.session, let leaf = session.peerChain.first else { return "OK" }
        var name = target.referenceName
        if case .verified(let matched?) = session.verification { name = matched }
        return "OK: \(tlsStart) (\(session.protocolVersion)) with a certificate valid for \(name) until "
            + TLSCertificateFindings.day(leaf.notAfter)
    }
}
