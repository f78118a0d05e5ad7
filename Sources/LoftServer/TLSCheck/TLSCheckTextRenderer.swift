import DNS
import Delivery
import Foundation
import TLS

/// The reports as an admin reads them in a terminal: what was said, what was negotiated, what the
/// certificate is, and the verdict last.
public enum TLSCheckTextRenderer {
    public static func render(_ report: TLSServiceReport) -> String {
        let target = report.target
        var text = "Checking \(target.host) port \(target.port) (\(target.protocol.rawValue), \(report.tlsStart)); "
            + "the certificate must cover \(target.referenceName); trusted: \(report.trustAnchors)\n"
        for attempt in report.failedAttempts {
            text += "Could not connect to \(attempt.address): \(attempt.reason)\n"
        }
        if let address = report.connectedAddress { text += "Connected to \(address)\n" }
        if let connection = report.connection {
            text += service(connection, protocol: target.protocol, mode: target.mode, trustAnchors: report.trustAnchors,
                            now: report.checkedAt)
            if !report.versions.isEmpty {
                text += "\nTLS versions: " + report.versions.map(version).joined(separator: ", ") + "\n"
            }
        }
        return text + verdict(report.verdict)
    }

    public static func render(_ report: MXCheckReport) -> String {
        var text = "Checking the MX hosts of \(report.domain) as Loft's queue would (settings: \(report.settingsSource)"
        if let inspection = report.inspection {
            text += "; port \(inspection.port); TLS policy \(policyText(inspection.policy))"
        }
        text += ")\n"
        if let relay = report.relay { text += "Note: \(relay)\n" }
        if let inspection = report.inspection {
            text += mxRecords(inspection)
            for host in report.hosts {
                text += "\n" + hostText(host, inspection: inspection, now: report.checkedAt)
            }
            for record in report.untriedMX {
                text += "\n\(record.host) (preference \(record.preference)): not tried by the queue (no address, or past its limit of MX hosts)\n"
            }
        }
        if let sts = report.mtaSTS { text += "\n" + mtaSTS(sts) }
        if let memory = report.downgradeMemory { text += "\n" + downgradeMemory(memory, report: report) }
        if let tlsReport = report.tlsReport { text += "\n" + tlsRPT(tlsReport) }
        return text + verdict(report.verdict)
    }

    // MARK: One service

    private static func service(_ connection: TLSCheckConnectionResult, protocol proto: TLSCheckProtocol, mode: TLSCheckMode,
                                trustAnchors: String, now: Date) -> String {
        let transcript = connection.transcript
        var text = ""
        if let greeting = transcript.greeting, mode == .starttls { text += "Greeting: \(greeting)\n" }
        if mode == .starttls {
            if let before = transcript.beforeTLS {
                text += "\nBefore TLS (\(proto.capabilityCommand)):\n" + capabilities(before, protocol: proto, phase: "before TLS")
            }
            if let reply = transcript.startTLSReply { text += "\(proto.startTLSCommand): \(reply)\n" }
        }
        if let session = connection.session {
            text += "\nTLS: \(session.protocolVersion), cipher \(session.cipher), ALPN \(session.applicationProtocol ?? "none")\n"
            text += chain(session.peerChain, now: now, indent: "")
            text += "Verification: \(verification(session.verification)) against \(trustAnchors)\n"
        } else if let failure = connection.handshakeFailure {
            text += "\nTLS handshake failed: \(failure)\n"
        }
        if mode == .implicit, let greeting = transcript.greeting { text += "\nGreeting: \(greeting)\n" }
        if let after = transcript.afterTLS {
            text += "\nAfter TLS (\(proto.capabilityCommand)):\n" + capabilities(after, protocol: proto, phase: "after TLS")
        }
        if let problem = transcript.problem { text += "\nProblem: \(problem)\n" }
        if let interruption = connection.interruption { text += "\nStopped: \(interruption)\n" }
        return text
    }

    private static func capabilities(_ capabilities: TLSCheckCapabilities, protocol proto: TLSCheckProtocol, phase: String) -> String {
        var text = ""
        if proto == .imap {
            text += "  " + capabilities.lines.joined(separator: " ") + "\n"
        } else {
            text += capabilities.lines.map { "  \($0)\n" }.joined()
        }
        if phase == "before TLS" {
            let command = proto == .pop3 ? " (STLS)" : ""
            text += "  STARTTLS \(capabilities.startTLS ? "offered" : "not offered")\(command)\n"
        }
        let mechanisms = capabilities.authMechanisms.isEmpty ? "none" : capabilities.authMechanisms.joined(separator: " ")
        text += "  AUTH \(phase): \(mechanisms)\n"
        if proto == .pop3 {
            text += "  USER/PASS \(phase): \(capabilities.plaintextLogins.contains("USER") ? "offered" : "not offered")\n"
        }
        if let disabled = capabilities.loginDisabled, phase == "before TLS" {
            text += "  LOGINDISABLED before TLS: " + (disabled ? "yes (LOGIN refused until TLS)" : "no (LOGIN accepted in clear)") + "\n"
        }
        if let requireTLS = capabilities.requireTLS, phase == "after TLS" {
            text += "  REQUIRETLS after TLS: \(requireTLS ? "offered" : "not offered")\n"
        }
        return text
    }

    private static func chain(_ chain: [TLSCertificateSummary], now: Date, indent: String) -> String {
        var text = "\(indent)Certificate chain as sent (leaf first):\n"
        for (index, certificate) in chain.enumerated() {
            let days = TLSCertificateFindings.daysLeft(until: certificate.notAfter, now: now)
            let left = certificate.notAfter < now ? "expired \(-days) days ago"
                : certificate.notBefore > now ? "not valid yet" : "\(days) days left"
            let names = certificate.dnsNames.map { "DNS:\($0)" } + certificate.ipAddresses.map { "IP:\($0)" }
            text += "\(indent)  \(index) subject  \(certificate.subject)\n"
            text += "\(indent)    SANs     \(names.isEmpty ? "none" : names.joined(separator: ", "))\n"
            text += "\(indent)    issuer   \(certificate.issuer)\n"
            text += "\(indent)    valid    \(TLSCertificateFindings.day(certificate.notBefore)) to "
                + "\(TLSCertificateFindings.day(certificate.notAfter)) (\(left))\n"
            text += "\(indent)    SHA-256  \(certificate.sha256Fingerprint)\n"
            text += "\(indent)    key      \(certificate.publicKeyDescription), SHA-256 \(certificate.publicKeySHA256)\n"
        }
        return text
    }

    private static func verification(_ verification: TLSPeerVerification) -> String {
        switch verification {
        case .verified(let name): return name.map { "verified for \($0)" } ?? "verified"
        case .daneVerified: return verification.summary
        case .failed(let reason): return "failed: \(reason)"
        }
    }

    private static func version(_ probe: TLSVersionProbe) -> String {
        switch probe.outcome {
        case .accepted: return "\(probe.version.rawValue) accepted"
        case .refused(let reason): return "\(probe.version.rawValue) refused (\(reason))"
        case .notTested(let reason): return "\(probe.version.rawValue) not tested (\(reason))"
        }
    }

    // MARK: MX

    static func policyText(_ policy: OutboundTLSPolicy) -> String {
        var text = policy.level.rawValue
        if !policy.match.isEmpty { text += " (match \(policy.match.joined(separator: ", ")))" }
        return text
    }

    static func dnssec(_ status: DNSSECStatus?) -> String {
        switch status {
        case .secure?: return "secure"
        case .insecure?: return "insecure"
        case .bogus(let reason)?: return "bogus (\(reason))"
        case nil: return "not looked up"
        }
    }

    private static func mxRecords(_ inspection: DestinationInspection) -> String {
        guard let mx = inspection.mx else {
            if case .temporary(_, let reason) = inspection.outcome { return "MX lookup failed: \(reason)\n" }
            return ""
        }
        if case .bogus = mx.status { return "MX records: DNSSEC \(dnssec(mx.status)): not usable\n" }
        guard mx.nameExists else { return "\(inspection.domain) does not exist (NXDOMAIN, DNSSEC: \(dnssec(mx.status)))\n" }
        if mx.records.isEmpty {
            return "No MX records (DNSSEC: \(dnssec(mx.status))): the domain's own address is its mail server (RFC 5321 §5.1)\n"
        }
        var text = "MX records (DNSSEC: \(dnssec(mx.status))):\n"
        for record in mx.records {
            text += "  \(record.preference) \(record.isNullMX ? ". (null MX: no mail accepted)" : record.host)\n"
        }
        return text
    }

    private static func hostText(_ report: MXCheckReport.HostReport, inspection: DestinationInspection, now: Date) -> String {
        let host = report.host
        var text = "\(host.name) (preference \(host.preference))\n"
        let addresses = host.addresses.map(\.description).joined(separator: ", ")
        text += "  addresses: \(addresses.isEmpty ? "none" : addresses) (DNSSEC: AAAA \(dnssec(host.ipv6Status)), "
            + "A \(dnssec(host.ipv4Status)); the host is \(host.isSecure ? "" : "not ")DNSSEC-secure)\n"
        let owner = "_\(inspection.port)._tcp.\(host.name)"
        if host.tlsaLookedUp {
            if host.tlsa.isEmpty {
                text += "  TLSA \(owner): none (DNSSEC: \(dnssec(host.tlsaStatus))): no DANE for this host\n"
            } else {
                text += "  TLSA \(owner) (DNSSEC: \(dnssec(host.tlsaStatus))):\n"
                text += host.tlsa.map { "    \(tlsaText($0))\n" }.joined()
            }
        } else if !inspection.policy.looksForDANE {
            text += "  TLSA: not looked up: the policy \(inspection.policy.level.rawValue) does not use DANE\n"
        } else {
            text += "  TLSA: not looked up: the host is not DNSSEC-secure, so DANE does not apply (RFC 7672 §2.2)\n"
        }
        switch host.plan {
        case .success(let plan): text += "  The queue's TLS plan: \(plan.policyDescription)\n"
        case .failure(let unusable): text += "  The queue skips this host: \(unusable.reason) (\(unusable.status))\n"
        }
        for address in report.addresses {
            text += "  \(address.address):\n"
            if let failure = address.connectFailure { text += "    cannot connect: \(failure)\n" }
            if let connection = address.connection { text += mxConnection(connection, now: now) }
            text += "    The queue: \(address.queueAction)\n"
        }
        return text
    }

    private static func mxConnection(_ connection: TLSCheckConnectionResult, now: Date) -> String {
        let transcript = connection.transcript
        var text = ""
        if let greeting = transcript.greeting { text += "    greeting: \(greeting)\n" }
        if let before = transcript.beforeTLS {
            text += "    EHLO before TLS: \(before.lines.joined(separator: ", "))\n"
            text += "    STARTTLS \(before.startTLS ? "offered" : "not offered")\n"
        }
        if let session = connection.session {
            text += "    TLS: \(session.protocolVersion), cipher \(session.cipher)\n"
            text += chain(session.peerChain, now: now, indent: "    ")
            switch session.verification {
            case .daneVerified: text += "    DANE: \(session.verification.summary)\n"
            case .failed(let reason) where session.usableTLSARecords > 0: text += "    DANE: failed: \(reason)\n"
            default: text += "    verification: \(verification(session.verification))\n"
            }
        } else if let failure = connection.handshakeFailure {
            text += "    TLS handshake failed: \(failure)\n"
        }
        if let after = transcript.afterTLS {
            text += "    REQUIRETLS after TLS: \(after.requireTLS == true ? "offered" : "not offered")\n"
        }
        if let problem = transcript.problem { text += "    problem: \(problem)\n" }
        if let interruption = connection.interruption { text += "    stopped: \(interruption)\n" }
        return text
    }

    // MARK: MTA-STS, the downgrade memory, TLS-RPT

    private static func mtaSTS(_ sts: MTASTSFindings) -> String {
        var text = "MTA-STS (RFC 8461):\n"
        let owner = "_mta-sts.\(sts.domain) TXT"
        let quoted = sts.recordTexts.map { "\"\($0)\"" }.joined(separator: ", ")
        switch sts.record {
        case .found(let id):
            text += "  \(owner) (DNSSEC: \(dnssec(sts.recordDNSSEC))): \(quoted): id \(id)\n"
        case .absent where sts.recordTexts.isEmpty:
            text += "  \(owner): none (DNSSEC: \(dnssec(sts.recordDNSSEC))): \(sts.domain) publishes no MTA-STS policy\n"
        case .absent:
            text += "  \(owner) (DNSSEC: \(dnssec(sts.recordDNSSEC))): \(quoted): no usable STSv1 record (exactly one valid "
                + "one is needed, RFC 8461 §3.1), so no policy\n"
        case .failed(let reason):
            text += "  \(owner): lookup failed: \(reason)\n"
        }
        switch sts.served {
        case .success(let policy)?: text += "  policy served at \(sts.policyURL): \(policyText(policy))\n"
        case .failure(let error)?: text += "  policy at \(sts.policyURL): cannot be had: \(error)\n"
        case nil: text += "  policy at \(sts.policyURL): not fetched (no record)\n"
        }
        switch sts.cache {
        case .unknown:
            text += "  the queue's cache: not read (no data_dir)\n"
        case .empty(let path):
            text += "  the queue's cache (\(path)): nothing cached for \(sts.domain)\n"
        case .stored(let path, let cached):
            text += "  the queue's cache (\(path)): id \(cached.id), \(policyText(cached.policy)), fetched \(time(cached.fetched)), "
                + "expires \(time(cached.expires))\n"
        case .unreadable(let path, let reason):
            text += "  the queue's cache (\(path)): cannot be read: \(reason)\n"
        }
        if let reason = sts.notConsulted {
            text += "  the queue does not consult MTA-STS for \(sts.domain): \(reason)\n"
        } else if let applied = sts.applied {
            let source = applied == sts.cachedPolicy ? "the cached policy" : "the policy fetched now"
            text += "  the queue applies: \(applied.summary), \(source)\n"
        } else {
            text += "  the queue applies: no policy\n"
        }
        for host in sts.hosts {
            var line = "  \(host.host): \(host.allowed ? "listed in the policy" : "not listed in the policy")"
            switch host.certificateValid {
            case true?: line += "; certificate PKIX-valid for \(host.host)"
            case false?: line += "; certificate not PKIX-valid for \(host.host): \(host.detail ?? "")"
            case nil: line += host.detail.map { "; \($0)" } ?? ""
            }
            text += line + "\n"
        }
        return text
    }

    static func policyText(_ policy: MTASTSPolicy) -> String {
        "mode \(policy.mode.rawValue), mx \(policy.mx.isEmpty ? "none" : policy.mx.joined(separator: " ")), max_age \(policy.maxAge)"
    }

    private static func downgradeMemory(_ findings: DowngradeMemoryFindings, report: MXCheckReport) -> String {
        guard let path = findings.path else { return "Downgrade memory: not read (no data_dir)\n" }
        guard let memory = findings.memory else {
            return "Downgrade memory (\(path)): cannot be read: \(findings.readFailure ?? "")\n"
        }
        var text = "Downgrade memory (\(path)):\n"
        text += "  domain \(report.domain): \(entryText(memory.domains[report.domain]))\n"
        for host in report.hosts {
            text += "  \(host.host.name): \(entryText(memory.hosts[host.host.name.lowercased()]))"
            if let pin = host.host.memoryPin {
                if let reason = host.host.memoryPinNotApplied {
                    text += "; pinned \(pin.level.name) by \(pin.by), not applied: \(reason)"
                } else {
                    text += "; the queue's plan is pinned at \(pin.level.name) (by \(pin.by))"
                }
            }
            text += "\n"
            for address in host.addresses {
                guard let observed = address.observedLevel else { continue }
                text += "    \(address.address): seen \(observed.name) now\(address.stripTLSSuspect ? ": STRIPTLS suspect" : "")\n"
            }
        }
        return text
    }

    private static func entryText(_ entry: TLSMemory.Entry?) -> String {
        guard let entry else { return "nothing remembered" }
        var text = "best \(entry.best.name), "
            + (entry.isPinned ? "pinned (\(entry.sightings.count) sightings)" : "seen \(entry.sightings.count)x, not pinned yet")
            + ", last contact \(time(entry.lastContact))"
        if let alerted = entry.alerted { text += ", STRIPTLS alert sent (seen \(alerted.name))" }
        return text
    }

    private static func tlsRPT(_ findings: TLSReportFindings) -> String {
        var text = "TLS-RPT (RFC 8460): \(findings.owner) TXT"
        if let failure = findings.lookupFailure { return text + ": lookup failed: \(failure)\n" }
        text += " (DNSSEC: \(dnssec(findings.dnssec)))"
        guard let record = findings.record else { return text + ": none: the domain asks for no TLS reports\n" }
        text += ": \"\(record.text)\""
        if case .bogus? = findings.dnssec { return text + ": not used (DNSSEC bogus): the queue sends no reports\n" }
        if record.mailAddresses.isEmpty { return text + ": no mailto: address, so Loft sends no reports (it mails them only)\n" }
        return text + ": daily reports go to \(record.mailAddresses.joined(separator: ", "))\n"
    }

    /// "2024-01-01T12:00:00Z".
    static func time(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func tlsaText(_ record: TLSAData) -> String {
        "\(record.usage) \(record.selector) \(record.matchingType) " + record.data.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: The verdict

    private static func verdict(_ verdict: TLSCheckVerdict) -> String {
        var text = ""
        if !verdict.warnings.isEmpty {
            text += "\nWarnings:\n" + verdict.warnings.map { "  - \($0)\n" }.joined()
        }
        text += "\nVerdict: \(verdict.summary)\n"
        for problem in verdict.problems.dropFirst() { text += "  - also: \(problem)\n" }
        return text
    }
}
