import DNS
import Delivery
import Foundation
import TLS

/// What the queue does with one MX address, given what a connection to it showed: the plan's own
/// rules (`HostTLSPlan.rejection(of:)`, its mode and its plaintext fallback), put in words.
enum MXAddressAssessment {
    static func assess(_ connection: TLSCheckConnectionResult, label: String, host: String, address: IPAddress,
                       plan: HostTLSPlan, now: Date) -> MXCheckReport.AddressReport {
        var report = MXCheckReport.AddressReport(
            address: address, connectFailure: nil, connection: connection, queueAction: "", status: .ok, problem: nil,
            warnings: [])
        func broken(_ action: String, _ problem: String) -> MXCheckReport.AddressReport {
            report.queueAction = action
            report.status = .broken
            report.problem = problem
            return report
        }
        let transcript = connection.transcript
        let defers = "defers mail to it (\(plan.policyDescription))"

        guard let session = connection.session else {
            if let failure = connection.handshakeFailure {
                let action = plan.plaintextFallback ? "retries in plaintext" : defers
                return broken(action, "\(label): the TLS handshake failed (\(failure)); the queue \(action)")
            }
            if let problem = transcript.problem ?? connection.interruption {
                return broken(defers, "\(label): \(problem); the queue \(defers)")
            }
            // The server does not offer STARTTLS.
            let action = plan.mode == .required ? defers : "sends mail to it in plaintext"
            return broken(action, "\(label) does not offer STARTTLS; the queue \(action)")
        }

        if let rejection = plan.rejection(of: session) {
            if case .dane = plan.check {
                return broken(defers, "\(label): TLSA records do not match the certificate; the queue \(defers)")
            }
            return broken(defers, "\(label): \(rejection); the queue \(defers)")
        }
        if plan.mode == .none {
            report.queueAction = "sends mail to it in plaintext (policy none), although it offers STARTTLS"
            report.warnings.append("\(label): the queue \(report.queueAction)")
        } else {
            switch session.verification {
            case .daneVerified:
                report.queueAction = "delivers over TLS, \(session.verification.summary)"
            case .verified(let name):
                report.queueAction = "delivers over TLS, certificate verified" + (name.map { " for \($0)" } ?? "")
            case .failed(let reason):
                report.queueAction = "delivers over TLS (opportunistic: the certificate is not checked)"
                report.warnings.append("\(label): the certificate does not verify (\(reason)); "
                                       + "opportunistic TLS sends anyway, a policy of verify or secure would defer")
            }
        }
        // DANE-EE matches ignore dates (RFC 7672 §3.1.1); otherwise an expired certificate is worth saying.
        let daneEE: Bool
        if case .daneVerified(0, _) = session.verification { daneEE = true } else { daneEE = false }
        if !daneEE, let leaf = session.peerChain.first, leaf.notAfter < now {
            report.warnings.append("\(label): the certificate expired on \(TLSCertificateFindings.day(leaf.notAfter))")
        }
        if let problem = transcript.problem ?? connection.interruption {
            return broken(report.queueAction, "\(label): after TLS: \(problem)")
        }
        return report
    }
}
