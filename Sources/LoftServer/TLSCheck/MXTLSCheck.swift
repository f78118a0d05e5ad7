import Config
import DNS
import Delivery
import Foundation
import NIOCore
import TLS

/// `loft check-tls --mx DOMAIN`: what the outbound queue would do for a recipient domain, checked
/// against the real servers. DNS goes through the `[dns]` settings (the queue's validating
/// resolver); the domain's MTA-STS policy is fetched live and weighed against the queue's cache as
/// the queue weighs it; the downgrade memory is read from the data directory (never written); the
/// hosts, their order and their TLS plans come from Delivery's own code (`DestinationInspection`),
/// and every address of every host is contacted under its plan.
public struct MXTLSCheck: Sendable {
    public var domain: String
    public var configuration: LoftConfiguration
    /// "/etc/loft/loft.toml" or "the demo settings", for the report.
    public var settingsSource: String
    public var timeouts: TLSCheckTimeouts

    public init(domain: String, configuration: LoftConfiguration, settingsSource: String,
                timeouts: TLSCheckTimeouts = TLSCheckTimeouts()) {
        self.domain = domain
        self.configuration = configuration
        self.settingsSource = settingsSource
        self.timeouts = timeouts
    }

    public func run(on runtime: TLSCheckRuntime) async -> MXCheckReport {
        let now = Date()
        let configuration = self.configuration
        let domain = self.domain.lowercased().hasSuffix(".") ? String(self.domain.lowercased().dropLast()) : self.domain.lowercased()
        var mtaSTS: MTASTSFindings?
        var memory: DowngradeMemoryFindings?
        var tlsReport: TLSReportFindings?
        func report(setupFailure: String? = nil, relay: String? = nil, inspection: DestinationInspection? = nil,
                    hosts: [MXCheckReport.HostReport] = [], untried: [MXRecord] = []) -> MXCheckReport {
            MXCheckReport(domain: domain, checkedAt: now, settingsSource: settingsSource, relay: relay,
                          setupFailure: setupFailure, inspection: inspection, hosts: hosts, untriedMX: untried,
                          mtaSTS: mtaSTS, downgradeMemory: memory, tlsReport: tlsReport)
        }

        let resolver: DNSResolver
        let context: TLSClientContext
        let router: OutboundRouter
        do {
            resolver = try await runtime.blocking { try OutboundSetup.resolver(configuration.dns) }
            context = try await runtime.blocking { try OutboundSetup.tlsContext(configuration) }
            router = try OutboundSetup.router(configuration, readingPasswords: false)
        } catch {
            return report(setupFailure: "cannot set up the check: \(error)")
        }
        var relay: String?
        if case .relay(let via) = router.route(for: domain) {
            relay = "the configuration sends mail for \(domain) through the relay \(via.host) port \(via.port), not to these "
                + "MX hosts; check the relay with `loft check-tls \(via.host):\(via.port)`"
        }
        let policies = OutboundSetup.tlsPolicies(configuration)
        let port = configuration.delivery.smtpPort
        let queueDirectory = configuration.dataDirectory.isEmpty ? nil : Spool.directory(dataDirectory: configuration.dataDirectory)
        let fetcher = MTASTSPolicyFetcher(tlsContext: context, group: runtime.group, timeout: timeouts.reply)
        let sts = await MTASTSFindings.gather(
            domain: domain, resolver: resolver, fetcher: fetcher, queueDirectory: queueDirectory, policies: policies, now: now,
            runtime: runtime)
        mtaSTS = sts
        let remembered = await DowngradeMemoryFindings.load(queueDirectory: queueDirectory, runtime: runtime)
        memory = remembered
        tlsReport = await TLSReportFindings.lookUp(domain: domain, resolver: resolver, runtime: runtime)
        let inspection: DestinationInspection
        do {
            inspection = try await runtime.blocking {
                DestinationInspection.inspect(domain: domain, policies: policies, port: port, resolver: resolver,
                                              mtaSTS: sts.applied, memory: remembered.memory)
            }
        } catch {
            return report(setupFailure: "cannot look up \(domain): \(error)")
        }
        guard case .hosts(let found) = inspection.outcome else { return report(relay: relay, inspection: inspection) }

        var hosts: [MXCheckReport.HostReport] = []
        for host in found {
            var addresses: [MXCheckReport.AddressReport] = []
            if case .success(let plan) = host.plan {
                for address in host.addresses {
                    addresses.append(await probe(address, of: host.name, port: port, plan: plan, context: context,
                                                 runtime: runtime, now: now))
                }
            }
            hosts.append(MXCheckReport.HostReport(host: host, addresses: addresses))
        }
        mtaSTS?.judge(hosts)
        let tried = Set(found.map(\.name))
        let untried = (inspection.mx?.records ?? []).filter { !$0.isNullMX && !tried.contains($0.host) }
        return report(relay: relay, inspection: inspection, hosts: hosts, untried: untried)
    }

    private func probe(_ address: IPAddress, of host: String, port: Int, plan: HostTLSPlan, context: TLSClientContext,
                       runtime: TLSCheckRuntime, now: Date) async -> MXCheckReport.AddressReport {
        let label = "\(host) [\(address)]"
        func unreachable(_ error: any Error) -> MXCheckReport.AddressReport {
            MXCheckReport.AddressReport(
                address: address, connectFailure: "\(error)", connection: nil,
                queueAction: "cannot reach it, and tries the next address", status: .unreachable,
                problem: "\(label): cannot connect to port \(port): \(error)", warnings: [])
        }
        // Two flat do/catch blocks: a throw out of a nested one crashed the release compiler (Swift 6.3.1,
        // LLVM's coroutine splitting).
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address.description, port: port)
        } catch {
            return unreachable(TLSCheckConnectFailure(description: "\(error)"))
        }
        let connection: TLSCheckConnectionResult
        do {
            connection = try await TLSCheckConnection.run(
                address: socketAddress, protocol: .smtp, mode: plan.mode == .implicit ? .implicit : .starttls,
                heloName: configuration.hostname, tlsContext: context, expectation: plan.expectation, scope: .complete,
                timeouts: timeouts, group: runtime.group)
        } catch {
            return unreachable(error)
        }
        return MXAddressAssessment.assess(connection, label: label, host: host, address: address, plan: plan, now: now)
    }
}
