import Config
import Foundation
import TLS

/// The judgements of `loft doctor`, as pure functions of what was read and probed: each returns the
/// problems (broken) and warnings (act on it) in words that say what to do.
enum DoctorRules {
    /// A certificate expiring sooner than this is worth a warning: time to renew, with room for a
    /// failed renewal or two (Let's Encrypt renews at 30 days left).
    static let expiryWarningDays = 30

    // MARK: Listeners

    /// "imap listener 0.0.0.0:993": how every message names a listener, as `loft serve`'s do.
    static func name(_ listener: ListenerConfiguration) -> String {
        "\(listener.protocol.rawValue) listener \(listener.address)"
    }

    /// The TLS mode a standard port implies (RFC 8314 §3.3, §7.3), and its protocol.
    static func standardUse(of port: Int) -> (protocol: ListenerConfiguration.ServiceProtocol, tls: ListenerConfiguration.TLSMode)? {
        switch port {
        case 587: return (.submission, .starttls)
        case 465: return (.submission, .implicit)
        case 143: return (.imap, .starttls)
        case 993: return (.imap, .implicit)
        case 110: return (.pop3, .starttls)
        case 995: return (.pop3, .implicit)
        default: return nil
        }
    }

    /// What the listener's own settings call for, before anything is probed.
    static func configurationWarnings(_ listener: ListenerConfiguration) -> [String] {
        let name = Self.name(listener)
        var warnings: [String] = []
        if listener.tls == .none {
            warnings.append("\(name) has tls = \"none\": mail and passwords travel in clear; use it only on a trusted "
                            + "network or behind a proxy that does TLS")
        }
        if listener.allowPlaintextAuth {
            warnings.append("\(name) has allow_plaintext_auth = true: passwords are accepted before TLS; remove it unless "
                            + "the listener is reachable only from a trusted network")
        }
        if let standard = standardUse(of: listener.address.port) {
            let port = listener.address.port
            if standard.protocol != listener.protocol {
                warnings.append("\(name): port \(port) is the standard port of \(standard.protocol.rawValue), not "
                                + "\(listener.protocol.rawValue); clients that guess the protocol from the port will fail")
            } else if standard.tls != listener.tls {
                let usual = standard.tls == .implicit ? "implicit TLS" : "STARTTLS"
                let other = listenerPort(listener.protocol, standard.tls == .implicit ? .starttls : .implicit)
                warnings.append("\(name): port \(port) is for \(usual) by standard (RFC 8314), but this listener has "
                                + "tls = \"\(listener.tls.rawValue)\"; clients that pick the mode from the port number will "
                                + "fail; set tls = \"\(standard.tls.rawValue)\""
                                + (listener.tls == .none ? "" : " or move it to port \(other)"))
            }
        }
        return warnings
    }

    /// The standard port of `proto` with TLS `mode`.
    private static func listenerPort(_ proto: ListenerConfiguration.ServiceProtocol, _ mode: ListenerConfiguration.TLSMode) -> Int {
        let checkProtocol = TLSCheckProtocol(rawValue: proto.rawValue) ?? .submission
        return checkProtocol.defaultPort(mode == .implicit ? .implicit : .starttls)
    }

    /// Who holds the port, as a problem when it is another program (Loft could not start).
    static func portProblem(_ listener: ListenerConfiguration, _ state: DoctorPortState) -> String? {
        guard case .inUse(let program, let pid) = state else { return nil }
        return "\(Self.name(listener)): port \(listener.address.port) is in use by "
            + "\(program) (pid \(pid)), so loft cannot listen there; stop it, or give this listener another port in the config"
    }

    /// What the probe of a running listener found wrong, besides what its settings already say.
    /// - Parameters:
    ///   - configuredFingerprint: SHA-256 of the leaf the listener should serve for `hostname`.
    static func probeFindings(
        _ report: TLSServiceReport, listener: ListenerConfiguration, minimumVersion: TLSSettings.MinimumVersion?,
        configuredFingerprint: String?
    ) -> (problems: [String], warnings: [String]) {
        let name = Self.name(listener)
        let transcript = report.connection?.transcript
        var problems: [String] = []
        var warnings: [String] = []
        if listener.tls == .none {
            // No TLS to judge: the greeting must come, and passwords in clear are the settings' warning.
            if transcript?.greeting == nil {
                let why = report.failure ?? transcript?.problem ?? report.connection?.interruption ?? "no greeting"
                problems.append("\(name) does not answer as \(listener.protocol.rawValue) should: \(why)")
            }
            return (problems, warnings)
        }
        problems += report.verdict.problems.map { "\(name): \($0)" }
        if !listener.allowPlaintextAuth, let before = transcript?.beforeTLS, !before.plaintextLogins.isEmpty {
            problems.append("\(name) offers \(before.plaintextLogins.joined(separator: ", ")) before TLS although "
                            + "allow_plaintext_auth is off: this is not the configuration loft runs with; restart loft")
        }
        if let after = transcript?.afterTLS, after.authMechanisms.isEmpty, after.plaintextLogins.isEmpty {
            problems.append("\(name) offers no way to log in after TLS (no AUTH mechanism); check [auth] and restart loft")
        }
        for probe in report.versions where probe.isAccepted {
            if probe.version < .tls12 {
                warnings.append("\(name) accepts TLS \(probe.version.rawValue) (deprecated by RFC 8996); is it loft that answers?")
            } else if probe.version == .tls12, minimumVersion == .tls13 {
                warnings.append("\(name) accepts TLS 1.2 although [tls] min_version = \"1.3\": loft runs with an older "
                                + "configuration; restart it")
            }
        }
        if let served = report.connection?.session?.peerChain.first, let configuredFingerprint,
           served.sha256Fingerprint != configuredFingerprint {
            warnings.append("\(name) serves a certificate other than the configured one (SHA-256 "
                            + "\(served.sha256Fingerprint.prefix(16))..., the file has \(configuredFingerprint.prefix(16))...): "
                            + "the files changed since loft loaded them; reload with SIGHUP (systemctl reload loft)")
        }
        return (problems, warnings)
    }

    // MARK: Certificates

    /// Whether the certificate covers `name`: a subjectAltName equal to it ignoring case, or a wildcard
    /// as the whole left-most label (RFC 6125 §6.4.3); with no subjectAltName, the subject's CN.
    static func covers(_ certificate: TLSCertificateSummary, name: String) -> Bool {
        let wanted = name.lowercased()
        if certificate.ipAddresses.contains(wanted) { return true }
        var patterns = certificate.dnsNames
        if patterns.isEmpty && certificate.ipAddresses.isEmpty {
            patterns = certificate.subject.split(separator: ",").compactMap { part in
                part.hasPrefix("CN=") ? String(part.dropFirst(3)) : nil
            }
        }
        return patterns.contains { raw in
            let pattern = raw.lowercased()
            guard pattern.hasPrefix("*.") else { return pattern == wanted }
            let parent = pattern.dropFirst()  // ".example.org"
            guard wanted.hasSuffix(parent) else { return false }
            let label = wanted.dropLast(parent.count)
            return !label.isEmpty && !label.contains(".")
        }
    }

    /// Expiry, names and chain of a certificate that loaded (and whose key matched).
    static func certificateWarnings(
        _ chain: [TLSCertificateSummary], path: String, hostname: String, sniHostname: String?, now: Date
    ) -> [String] {
        guard let leaf = chain.first else { return [] }
        var warnings: [String] = []
        let days = TLSCertificateFindings.daysLeft(until: leaf.notAfter, now: now)
        if leaf.notAfter >= now, days < expiryWarningDays {
            warnings.append("certificate \(path) expires in \(days == 1 ? "1 day" : "\(days) days") "
                            + "(\(TLSCertificateFindings.day(leaf.notAfter))); renew it, then reload loft (SIGHUP)")
        }
        if leaf.notBefore > now {
            warnings.append("certificate \(path) is not valid before \(TLSCertificateFindings.day(leaf.notBefore)); "
                            + "clients will refuse it until then")
        }
        let name = sniHostname ?? hostname
        if !covers(leaf, name: name) {
            let key = sniHostname == nil ? "hostname" : "its [[tls.sni]] hostname"
            warnings.append("certificate \(path) does not cover \(name) (\(key)); it covers "
                            + "\(TLSCertificateFindings.coveredNames(leaf)): clients connecting to \(name) will refuse it")
        }
        if leaf.subject == leaf.issuer {
            warnings.append("certificate \(path) is self-signed: mail clients refuse it unless each user accepts it; "
                            + "use one from a CA (e.g. Let's Encrypt)")
        } else if chain.count == 1 {
            warnings.append("certificate \(path) holds no intermediate certificate: clients that do not have \(leaf.issuer) "
                            + "will refuse it; append the CA's chain to the file")
        }
        for (certificate, issuer) in zip(chain, chain.dropFirst()) where certificate.issuer != issuer.subject {
            warnings.append("certificate \(path): \(certificate.subject) is followed by \(issuer.subject), which did not "
                            + "issue it; put the chain in order, leaf first")
        }
        return warnings
    }

    // MARK: Outbound

    /// Contradictions in `[outbound_tls]`: levels that need DNSSEC while the resolver does not validate,
    /// and destinations sent in clear.
    static func outboundFindings(
        _ settings: OutboundTLSSettings, validation: DoctorDNS.Validation
    ) -> (problems: [String], warnings: [String]) {
        var problems: [String] = []
        var warnings: [String] = []
        let entries = [(name: "default_level", level: settings.defaultLevel)]
            + settings.policies.map { (name: "policy for \($0.domain)", level: $0.level) }
        // `unanswered` may be this machine being offline: only a resolver known not to validate contradicts.
        let notValidating = validation == .noTrustAnchor || validation == .failing
        for entry in entries {
            switch entry.level {
            case .daneOnly where notValidating:
                problems.append("outbound_tls \(entry.name) is \"dane-only\" but the resolver does not validate DNSSEC: "
                                + "no TLSA record can be trusted, so that mail stays queued; fix [dns] first")
            case .dane where notValidating:
                warnings.append("outbound_tls \(entry.name) is \"dane\" but the resolver does not validate DNSSEC: DANE is "
                                + "never used and delivery falls back to opportunistic TLS; fix [dns]")
            case .none:
                warnings.append("outbound_tls \(entry.name) is \"none\": that mail leaves without TLS")
            default:
                break
            }
        }
        return (problems, warnings)
    }
}
