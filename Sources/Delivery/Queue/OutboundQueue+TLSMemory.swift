import Foundation
import Logging

extension OutboundQueue {
    /// `plan` raised to what the downgrade memory pinned for `host` or `domain`, unless an explicit policy
    /// (a policy-table entry for the domain, DANE for this host, an enforced MTA-STS policy) already decides.
    func applyingMemory(to plan: HostTLSPlan, host: String, domain: String, mtaSTS: MTASTSCachedPolicy?) async -> HostTLSPlan {
        let tableEntry = settings.tlsPolicies.hasEntry(for: domain)
        guard plan.explicitPolicyBeforeMemory(tableEntry: tableEntry, mtaSTS: mtaSTS) == nil else { return plan }
        let store = tlsMemory
        do {
            let memory = try await threadPool.runIfActive { try store.load() }
            return plan.applying(memory, host: host, domain: domain, tableEntry: tableEntry, mtaSTS: mtaSTS)
        } catch {
            logger.error("cannot read the TLS downgrade memory", metadata: ["error": "\(error)"])
            return plan
        }
    }

    /// Records what one connection showed of `host`'s TLS, or raises the STRIPTLS alert when it fell below
    /// the pinned level: an error log line naming host, domain and what changed, and one notice to the
    /// postmaster per host and level.
    func remember(_ report: ConnectionReport, host: String, domain: String, plan: HostTLSPlan) async {
        guard let observed = Self.observedLevel(report) else { return }
        let store = tlsMemory
        let now = clock()
        if let pin = plan.pinned, observed < pin.level {
            logger.error("STRIPTLS alert", metadata: [
                "domain": "\(domain)", "mx": "\(host)", "remote": "\(report.remote)",
                "pinned": "\(pin.level.name) (\(pin.by))", "now": "\(observed.name)",
            ])
            metrics.stripTLSAlerts.increment()
            let notice = stripTLSNotice(host: host, domain: domain, remote: report.remote, pin: pin, observed: observed, at: now)
            let (sink, postmaster) = (reports, settings.postmaster)
            do {
                try await threadPool.runIfActive {
                    var firstTime = false
                    try store.updateIfNeeded { memory in
                        firstTime = memory.markAlerted(host: host, level: observed)
                        return firstTime
                    }
                    if firstTime { try sink.deliverReport(notice, to: postmaster) }
                }
            } catch {
                logger.error("cannot tell the postmaster about a STRIPTLS alert", metadata: ["error": "\(error)"])
            }
            return
        }
        do {
            try await threadPool.runIfActive {
                try store.updateIfNeeded { $0.record(observed, host: host, domain: domain, at: now) }
            }
        } catch {
            logger.error("cannot write the TLS downgrade memory", metadata: ["error": "\(error)"])
        }
    }

    /// What a connection showed: nil when it never got as far as EHLO (or the handshake failed).
    static func observedLevel(_ report: ConnectionReport) -> TLSSecurityLevel? {
        TLSSecurityLevel.observed(
            reachedEHLO: report.capabilities != nil, startTLSOffered: report.capabilities?.starttls ?? false,
            handshakeFailed: report.handshakeFailed, tls: report.tls)
    }

    private func stripTLSNotice(
        host: String, domain: String, remote: String, pin: HostTLSPlan.Pin, observed: TLSSecurityLevel, at now: Date
    ) -> [UInt8] {
        let text = """
            From: MAILER-DAEMON@\(settings.hostname)\r
            To: \(settings.postmaster)\r
            Subject: STRIPTLS alert: \(host) for \(domain)\r
            Date: \(MailDate.format(now))\r
            Message-ID: <striptls.\(Int(now.timeIntervalSince1970)).\(host)@\(settings.hostname)>\r
            Auto-Submitted: auto-generated\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            Loft's outbound queue held back mail for \(domain).\r
            \r
            The mail server \(remote), an MX host of \(domain), was seen\r
            \(pin.level) on earlier deliveries (the \(pin.by) is pinned at that level),\r
            but this time the connection was only \(observed).\r
            \r
            This is what a STRIPTLS downgrade attack looks like: someone between the\r
            servers removing STARTTLS or swapping the certificate. It may also be an\r
            honest change on that server. Loft treats it as a temporary failure: the\r
            mail waits in the queue and other MX hosts are tried.\r
            \r
            If the change is legitimate, forget the old level:\r
                loft tls-memory forget \(host)\r
                loft tls-memory forget \(domain)\r
            and the queue delivers at its next attempt (`loft queue retry`).\r
            \r
            You are told once per host and level.\r

            """
        return Array(text.utf8)
    }
}
