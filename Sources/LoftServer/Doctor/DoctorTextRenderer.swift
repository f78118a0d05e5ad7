import Config
import Foundation
import TLS

/// `loft doctor` as an admin reads it: the certificates, one block per listener, the data directory,
/// DNS and the outbound TLS policy, each with its problems and warnings, then `N problems, M warnings`.
public enum DoctorTextRenderer {
    public static func render(_ report: DoctorReport) -> String {
        var text = "Loft doctor: \(report.settingsSource), hostname \(report.hostname)\n"
        if !report.startupProblems.isEmpty {
            text += "\nConfiguration\n" + findings(report.startupProblems, [])
        }
        for certificate in report.certificates {
            text += "\n" + self.certificate(certificate, hostname: report.hostname, now: report.checkedAt)
        }
        for listener in report.listeners {
            text += "\n" + self.listener(listener)
        }
        let data = report.dataDirectory
        text += "\nData directory \(data.path)\n"
        if let user = data.checkedAs, data.problems.isEmpty {
            text += "  writable by user \"\(user)\" (checked as that user)\n"
        }
        text += findings(data.problems, data.warnings)
        text += "\n" + dns(report.dns)
        text += "\n" + outbound(report.outbound)
        let problems = report.problems.count
        let warnings = report.warnings.count
        text += "\n\(problems) \(problems == 1 ? "problem" : "problems"), \(warnings) \(warnings == 1 ? "warning" : "warnings")"
        text += problems == 0 ? "\n" : ": loft is broken until the problems are fixed\n"
        return text
    }

    private static func certificate(_ certificate: DoctorCertificate, hostname: String, now: Date) -> String {
        var text = certificate.sniHostname.map { "TLS certificate for SNI \($0)\n" } ?? "TLS certificate ([tls])\n"
        text += "  file      \(certificate.certificatePath)\n"
        if let leaf = certificate.leaf {
            let names = leaf.dnsNames.map { "DNS:\($0)" } + leaf.ipAddresses.map { "IP:\($0)" }
            let wanted = certificate.sniHostname ?? hostname
            text += "  names     \(names.isEmpty ? leaf.subject : names.joined(separator: ", "))"
                + " (covers \(wanted): \(certificate.coversHostname == true ? "yes" : "no"))\n"
            let days = TLSCertificateFindings.daysLeft(until: leaf.notAfter, now: now)
            text += "  expires   \(TLSCertificateFindings.day(leaf.notAfter)) (\(days) days left)\n"
            let chain = certificate.chain.map(\.subject).joined(separator: " <- ")
            text += "  chain     \(chain), issued by \(certificate.chain.last?.issuer ?? leaf.issuer)"
                + (leaf.subject == leaf.issuer ? " (self-signed)" : "") + "\n"
        }
        let key: String
        switch certificate.keyMatches {
        case true?: key = "matches the certificate"
        case false?: key = "does NOT match the certificate"
        case nil: key = "not compared"
        }
        text += "  key       \(certificate.privateKeyPath) \(key)\n"
        return text + findings(certificate.problems, certificate.warnings)
    }

    private static func listener(_ listener: DoctorListener) -> String {
        let configuration = listener.configuration
        var text = listener.label + "\n"
        var tls = configuration.tls == .implicit ? "implicit TLS" : configuration.tls == .starttls ? "STARTTLS" : "none (plaintext)"
        if let minimum = listener.minimumTLSVersion { tls += ", TLS \(minimum.rawValue) minimum" }
        tls += configuration.allowPlaintextAuth ? ", plaintext auth allowed" : ", plaintext auth refused before TLS"
        if configuration.trustedProxies != nil { tls += ", PROXY protocol" }
        text += "  TLS       \(tls)\n"
        text += "  port      \(listener.port.text)\n"
        if let probe = listener.probe {
            text += probeLines(probe, tlsMode: configuration.tls)
        }
        return text + findings(listener.problems, listener.warnings)
    }

    /// The probe in a few lines: the verdict, the TLS versions, and what is offered before and after TLS.
    private static func probeLines(_ report: TLSServiceReport, tlsMode: ListenerConfiguration.TLSMode) -> String {
        var text = ""
        let transcript = report.connection?.transcript
        if tlsMode == .none {
            text += "  probe     \(transcript?.greeting.map { "greeting \($0)" } ?? (report.failure ?? "no greeting"))\n"
        } else {
            text += "  probe     \(report.verdict.summary)\n"
        }
        if !report.versions.isEmpty {
            let versions = report.versions.map { probe -> String in
                switch probe.outcome {
                case .accepted: return "\(probe.version.rawValue) accepted"
                case .refused: return "\(probe.version.rawValue) refused"
                case .notTested: return "\(probe.version.rawValue) not tested"
                }
            }
            text += "  versions  \(versions.joined(separator: ", "))\n"
        }
        if let before = transcript?.beforeTLS {
            var parts = [before.startTLS ? "STARTTLS offered" : "no STARTTLS"]
            if let disabled = before.loginDisabled { parts.append(disabled ? "LOGINDISABLED" : "LOGIN allowed") }
            parts.append("AUTH " + (before.authMechanisms.isEmpty ? "none" : before.authMechanisms.joined(separator: " ")))
            if !before.plaintextLogins.isEmpty { parts.append("passwords in clear: " + before.plaintextLogins.joined(separator: ", ")) }
            text += "  before TLS  \(parts.joined(separator: ", "))\n"
        }
        if let after = transcript?.afterTLS {
            text += "  after TLS   AUTH " + (after.authMechanisms.isEmpty ? "none" : after.authMechanisms.joined(separator: " ")) + "\n"
        }
        return text
    }

    private static func dns(_ dns: DoctorDNS) -> String {
        var text = "DNS resolver ([dns])\n"
        text += "  forwarders     \(dns.forwarders.isEmpty ? "those of /etc/resolv.conf" : dns.forwarders.joined(separator: ", "))\n"
        text += "  trust anchors  \(dns.trustAnchorZones.isEmpty ? "none" : dns.trustAnchorZones.joined(separator: ", "))\n"
        let name = dns.probedName ?? "."
        let answer = dns.answer ?? ""
        switch dns.validation {
        case .validating: text += "  DNSSEC         yes: \(name) is \(answer)"
        case .failing where dns.probedName == nil: text += "  DNSSEC         no: \(answer)"
        case .failing: text += "  DNSSEC         no: \(name) is \(answer)"
        case .noTrustAnchor: text += "  DNSSEC         no (no trust anchor)"
        case .unanswered: text += "  DNSSEC         unknown: no answer for \(name) (\(answer))"
        }
        return text + "\n" + findings(dns.problems, dns.warnings)
    }

    private static func outbound(_ outbound: DoctorOutbound) -> String {
        var text = "Outbound TLS policy ([outbound_tls])\n"
        text += "  default          \(outbound.defaultLevel.rawValue)\n"
        for policy in outbound.policies {
            var line = "  \(policy.domain.padding(toLength: max(16, policy.domain.count), withPad: " ", startingAt: 0)) \(policy.level.rawValue)"
            if !policy.match.isEmpty { line += " match \(policy.match.joined(separator: ", "))" }
            if !policy.fingerprints.isEmpty { line += " (\(policy.fingerprints.count) fingerprints)" }
            text += line + "\n"
        }
        return text + findings(outbound.problems, outbound.warnings)
    }

    private static func findings(_ problems: [String], _ warnings: [String]) -> String {
        problems.map { "  PROBLEM: \($0)\n" }.joined() + warnings.map { "  warning: \($0)\n" }.joined()
    }
}
