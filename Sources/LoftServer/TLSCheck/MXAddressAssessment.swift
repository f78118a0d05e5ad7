import DNS
import Delivery
import Foundation
import TLS

/// What the queue does with one MX address, given what a connection to it showed: the plan's own
/// rules (`HostTLSPlan.rejection(of:)`, its mode, its plaintext fallback, the level the downgrade
/// memory pinned, what an MTA-STS policy in testing mode would refuse), put in words.
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

        // What the queue would remember of this connection, and whether that falls below a pinned level: the
        // queue defers and raises a STRIPTLS alert (OutboundQueue+TLSMemory).
        report.observedLevel = TLSSecurityLevel.observed(
            reachedEHLO: transcript.beforeTLS != nil, startTLSOffered: transcript.beforeTLS?.startTLS ?? false,
            handshakeFailed: connection.handshakeFailure != nil, tls: connection.session)
        if let pin = plan.pinned, let observed = report.observedLevel, observed < pin.level {
            report.stripTLSSuspect = true
            let now = connection.session == nil ? "it offers no STARTTLS" : "its TLS is only \(observed) now"
            let entry = pin.by.split(separator: " ", maxSplits: 1).last.map(String.init) ?? host  // "host mx1.example.net"
            return broken("\(defers) and alerts the postmaster",
                          "\(label): STRIPTLS suspect: \(now), but the \(pin.by) was seen \(pin.level) on earlier deliveries "
                            + "(pinned); the queue \(defers) and alerts the postmaster (`loft tls-memory forget \(entry)` "
                            + "if the change is legitimate)")
        }

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
        if let failure = plan.reportOnlyFailure(tls: session, reachedEHLO: transcript.beforeTLS != nil),
           let policy = plan.reportOnly?.policy {
            report.warnings.append("\(label): enforcing the MTA-STS policy (\(policy)) would refuse it: \(failure)")
        }
        if let problem = transcript.problem ?? connection.interruption {
            return broken(report.queueAction, "\(label): after TLS: \(problem)")
        }
        return report
    }
}
