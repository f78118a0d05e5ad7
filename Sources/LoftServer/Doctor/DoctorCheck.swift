#if canImport(Glibc)
import Glibc
#endif
import Config
import DNS
import Foundation
import TLS

/// `loft doctor`: reads the configuration as `loft serve` would and looks at everything it depends on —
/// certificates, who holds each port, `data_dir` as the run user, the validating resolver, the outbound TLS
/// policy — then probes every running listener as a client would, with `loft check-tls`'s own check.
public struct DoctorCheck: Sendable {
    public var configuration: LoftConfiguration
    /// "/etc/loft/loft.toml", or "the demo settings", for the report.
    public var settingsSource: String
    /// A PEM file of CA certificates the probes trust besides the system's (`--ca-file`).
    public var caFile: String?
    /// A listener that is not running is a problem, not a warning (`--require-running`).
    public var requireRunning: Bool
    public var timeouts: TLSCheckTimeouts

    public init(configuration: LoftConfiguration, settingsSource: String, caFile: String? = nil, requireRunning: Bool = false,
                timeouts: TLSCheckTimeouts = TLSCheckTimeouts()) {
        self.configuration = configuration
        self.settingsSource = settingsSource
        self.caFile = caFile
        self.requireRunning = requireRunning
        self.timeouts = timeouts
    }

    public func run(on runtime: TLSCheckRuntime) async -> DoctorReport {
        let now = Date()
        let configuration = self.configuration
        // Blocking file and /proc reads go to the runtime's pool, one after the other: the data directory
        // check switches the process's effective user for a moment.
        let startupProblems = (try? await runtime.blocking { Self.startupProblems(configuration) }) ?? []
        let certificates = (try? await runtime.blocking { Self.certificates(configuration, now: now) }) ?? []
        let dataDirectory = (try? await runtime.blocking { Self.dataDirectory(configuration) })
            ?? DoctorDataDirectory(path: configuration.dataDirectory, checkedAs: nil, problems: [], warnings: [])
        var listeners: [DoctorListener] = []
        // An http listener (ACME http-01) speaks no mail protocol to probe.
        for listener in configuration.listeners where listener.protocol != .http {
            let state = (try? await runtime.blocking { Self.portState(listener.address.port) }) ?? .free
            listeners.append(await self.listener(listener, port: state, certificates: certificates, runtime: runtime))
        }
        let dns = await DoctorDNSCheck.run(configuration.dns, timeout: .nanoseconds(timeouts.reply.nanoseconds), runtime: runtime)
        let outboundFindings = DoctorRules.outboundFindings(configuration.outboundTLS, validation: dns.validation)
        let outbound = DoctorOutbound(
            defaultLevel: configuration.outboundTLS.defaultLevel, policies: configuration.outboundTLS.policies,
            problems: outboundFindings.problems, warnings: outboundFindings.warnings)
        return DoctorReport(
            settingsSource: settingsSource, hostname: configuration.hostname, checkedAt: now, startupProblems: startupProblems,
            certificates: certificates, listeners: listeners, dataDirectory: dataDirectory, dns: dns, outbound: outbound)
    }

    // MARK: What loft serve loads

    /// The user database and aliases, loaded as at start-up (certificates have a section of their own).
    static func startupProblems(_ configuration: LoftConfiguration) -> [String] {
        var problems: [String] = []
        do { try LoftServer.checkUsers(configuration) } catch { problems.append("\(error)") }
        do { _ = try LoftServer.loadAliases(configuration) } catch { problems.append("\(error)") }
        return problems
    }

    /// `[tls]` and its SNI entries, each loaded as the server loads it (so a missing file, a key that does
    /// not match or an expired certificate fail here as they would at start), then judged.
    static func certificates(_ configuration: LoftConfiguration, now: Date) -> [DoctorCertificate] {
        guard let tls = configuration.tls, configuration.listeners.contains(where: { $0.tls != .none }) else { return [] }
        let pairs = [(nil, tls.certificate, tls.privateKey)] + tls.sni.map { ($0.hostname, $0.certificate, $0.privateKey) }
        return pairs.map { sniHostname, certificatePath, keyPath in
            var certificate = DoctorCertificate(
                sniHostname: sniHostname, certificatePath: certificatePath, privateKeyPath: keyPath, chain: [],
                keyMatches: nil, coversHostname: nil, problems: [], warnings: [])
            let key = sniHostname.map { "tls.sni \($0)" } ?? "tls"
            let acme = tls.acme.flatMap { $0.certificatePath == certificatePath ? $0 : nil }
            if let acme, access(certificatePath, F_OK) != 0 {
                certificate.warnings.append("\(key): no ACME certificate obtained yet; loft serve starts on a temporary "
                                            + "self-signed one and asks \(acme.directory)")
                return certificate
            }
            do {
                certificate.chain = try TLSCertificateSummary.load(pemFile: certificatePath)
                if let acme, let leaf = certificate.leaf, leaf.subject == leaf.issuer {
                    certificate.warnings.append("\(key): still the temporary self-signed certificate: the request to "
                                                + "\(acme.directory) has not succeeded yet (the log lines with service=acme say why)")
                }
                certificate.coversHostname = certificate.leaf.map { DoctorRules.covers($0, name: sniHostname ?? configuration.hostname) }
            } catch let error as TLSError {
                certificate.problems.append("\(key): \(error)" + LoftServer.fix(for: error))
                return certificate
            } catch {
                certificate.problems.append("\(key): \(error)")
                return certificate
            }
            do {
                let files = TLSCertificateFiles(certificatePath: certificatePath, privateKeyPath: keyPath)
                _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: files), now: now)
                certificate.keyMatches = true
            } catch let error as TLSError {
                if error.kind == .keyMismatch { certificate.keyMatches = false }
                certificate.problems.append("\(key): \(error)" + LoftServer.fix(for: error))
                return certificate
            } catch {
                certificate.problems.append("\(key): \(error)")
                return certificate
            }
            certificate.warnings = DoctorRules.certificateWarnings(
                certificate.chain, path: certificatePath, hostname: configuration.hostname, sniHostname: sniHostname, now: now)
            return certificate
        }
    }

    // MARK: Data directory

    /// `data_dir` checked as the user loft runs as: `user` when doctor runs as root, else whoever runs it.
    /// Layout directories that do not exist yet are fine: `loft serve` creates them.
    static func dataDirectory(_ configuration: LoftConfiguration) -> DoctorDataDirectory {
        let layout = DataDirectoryLayout(root: configuration.dataDirectory)
        var report = DoctorDataDirectory(path: layout.root, checkedAs: nil, problems: [], warnings: [])
        var status = stat()
        guard stat(layout.root, &status) == 0 else {
            report.warnings.append("data_dir: \(layout.root) does not exist yet; loft serve creates it at start")
            return report
        }
        let current = RunUser.current()
        let user: RunUser
        if let name = configuration.user, name != current.name {
            guard geteuid() == 0 else {
                report.warnings.append("data_dir: not checked: loft runs as user \"\(name)\"; run loft doctor as root "
                                       + "(or as \(name)) to check it as that user")
                return report
            }
            do {
                user = try RunUser.named(name)
            } catch {
                report.problems.append("\(error)")
                return report
            }
        } else {
            user = current
        }
        report.checkedAs = user.name
        let check = DataDirectoryCheck(layout: layout, user: user) { path, mode in
            let error = faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0 ? 0 : errno
            return error == ENOENT ? 0 : error
        }
        do {
            let problem = try user == current ? check.firstProblem() : user.withEffectiveIDs { check.firstProblem() }
            if let problem { report.problems.append(problem) }
        } catch {
            report.problems.append("\(error)")
        }
        return report
    }

    // MARK: Listeners

    /// Who listens on `port`, from `/proc`.
    static func portState(_ port: Int) -> DoctorPortState {
        guard port != 0 else { return .anyFreePort }
        let listening = ["/proc/net/tcp", "/proc/net/tcp6"].contains { !PortOwner.listeningInodes(in: $0, port: port).isEmpty }
        guard listening else { return .free }
        guard let owner = PortOwner.find(port: port) else { return .listeningOwnerHidden }
        return owner.name == "loft" ? .servedByLoft(pid: owner.pid) : .inUse(program: owner.name, pid: owner.pid)
    }

    private func listener(_ listener: ListenerConfiguration, port: DoctorPortState, certificates: [DoctorCertificate],
                          runtime: TLSCheckRuntime) async -> DoctorListener {
        var report = DoctorListener(
            configuration: listener, minimumTLSVersion: listener.tls == .none ? nil : configuration.tls?.minVersion,
            port: port, probe: nil, problems: [], warnings: DoctorRules.configurationWarnings(listener))
        if let problem = DoctorRules.portProblem(listener, port) { report.problems.append(problem) }
        switch port {
        case .free:
            let message = "\(report.label) is not running: nothing listens on port \(listener.address.port); start loft "
                + "(or check its log for why this listener did not start)"
            if requireRunning { report.problems.append(message) } else { report.warnings.append(message) }
            return report
        case .anyFreePort, .inUse:
            return report
        case .servedByLoft, .listeningOwnerHidden:
            break
        }
        // The probes speak the mail protocols (greeting, capabilities, STARTTLS); HTTPS has none of that.
        if listener.protocol == .https {
            report.warnings.append("\(report.label) is not probed: doctor checks the mail protocols; check it with "
                + "curl https://mta-sts.\(configuration.domain)/.well-known/mta-sts.txt (from where senders connect)")
            return report
        }
        // A PROXY listener closes (or waits on) a client that sends no PROXY header, as a probe would.
        if listener.trustedProxies != nil {
            report.warnings.append("\(report.label) is not probed: it expects a PROXY protocol header first; "
                + "check it through the load balancer (loft check-tls BALANCER:PORT --protocol \(listener.protocol.rawValue))")
            return report
        }
        // The certificate the server picks for `hostname` (SNI), which the probe sends.
        let hostname = configuration.hostname.lowercased()
        let expected = certificates.first { $0.sniHostname?.lowercased() == hostname } ?? certificates.first { $0.sniHostname == nil }
        let target = probeTarget(listener, expected: expected)
        let check = TLSServiceCheck(target: target, heloName: configuration.hostname, timeouts: timeouts)
        let probe = await check.run(on: runtime)
        report.probe = probe
        let findings = DoctorRules.probeFindings(
            probe, listener: listener, minimumVersion: report.minimumTLSVersion,
            configuredFingerprint: expected?.leaf?.sha256Fingerprint)
        report.problems += findings.problems
        report.warnings += findings.warnings
        return report
    }

    /// Where and how to probe: the listener's own address (loopback for a wildcard one), its mode (STARTTLS
    /// for `none` too, to read the greeting and capabilities), and the name to verify: `hostname` when the
    /// certificate covers it, else a name it does cover (the certificate section already warns). A
    /// self-signed certificate is trusted as configured (the certificate section warns about it), so the
    /// probe still checks that it is the one served and that the handshake works.
    func probeTarget(_ listener: ListenerConfiguration, expected: DoctorCertificate?) -> TLSCheckTarget {
        let host = listener.address.host
        let connectTo = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
        let leaf = expected?.leaf
        var name = configuration.hostname
        if let leaf, expected?.coversHostname == false, let covered = leaf.dnsNames.first ?? leaf.ipAddresses.first {
            // A wildcard covers any one label in its place.
            name = covered.hasPrefix("*.") ? "doctor" + covered.dropFirst() : covered
        }
        let selfSigned = leaf.map { $0.subject == $0.issuer } ?? false
        return TLSCheckTarget(
            host: connectTo, port: listener.address.port, protocol: TLSCheckProtocol(rawValue: listener.protocol.rawValue) ?? .submission,
            mode: listener.tls == .implicit ? .implicit : .starttls, referenceName: name,
            caFile: caFile ?? (selfSigned ? expected?.certificatePath : nil))
    }
}
