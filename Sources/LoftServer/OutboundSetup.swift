import Config
import DNS
import Delivery
import Foundation
import Logging
import NIOCore
import NIOPosix
import TLS

/// Builds the outbound queue from the configuration: resolver, TLS client context, routes and policies.
enum OutboundSetup {
    static func makeQueue(
        _ configuration: LoftConfiguration, spool: Spool, reports: any DeliveryReportSink, group: any EventLoopGroup,
        threadPool: NIOThreadPool, logger: Logger
    ) throws -> OutboundQueue {
        let resolver = try self.resolver(configuration.dns)
        let tlsContext = try self.tlsContext(configuration)
        return OutboundQueue(
            spool: spool, settings: try settings(configuration), resolver: resolver, tlsContext: tlsContext,
            group: group, threadPool: threadPool, reports: reports, logger: logger)
    }

    /// The validating resolver of the `[dns]` section. Blocking (may read a trust anchor file).
    static func resolver(_ dns: DNSSettings) throws -> DNSResolver {
        do {
            return try DNSResolver(configuration: DNSResolverConfiguration(
                forwarders: dns.forwarders, trustAnchors: dns.trustAnchors, trustAnchorFile: dns.trustAnchorFile,
                transparentZones: dns.transparentZones))
        } catch {
            throw LoftServer.StartupError(description: "dns: \(error)")
        }
    }

    /// The client context outbound connections use: the system CAs plus `[outbound_tls] ca_file`. Blocking.
    static func tlsContext(_ configuration: LoftConfiguration) throws -> TLSClientContext {
        do {
            return try TLSClientContext(configuration: TLSClientConfiguration(
                extraTrustAnchorsFile: configuration.outboundTLS.caFile))
        } catch {
            throw LoftServer.StartupError(description: "outbound_tls.ca_file: \(error)")
        }
    }

    /// The per-domain TLS policy table of `[outbound_tls]`.
    static func tlsPolicies(_ configuration: LoftConfiguration) -> OutboundTLSPolicyTable {
        let tls = configuration.outboundTLS
        var policies: [String: OutboundTLSPolicy] = [:]
        for policy in tls.policies {
            policies[policy.domain] = OutboundTLSPolicy(
                level: level(policy.level), match: policy.match, fingerprints: policy.fingerprints)
        }
        return OutboundTLSPolicyTable(defaultPolicy: OutboundTLSPolicy(level: level(tls.defaultLevel)), entries: policies)
    }

    /// The routes of the `[[relay]]` entries; `readingPasswords` false leaves the credentials out
    /// (for reports, which never log in and may run without the right to read password files).
    static func router(_ configuration: LoftConfiguration, readingPasswords: Bool) throws -> OutboundRouter {
        var relays: [String: OutboundRoute.Relay] = [:]
        for (index, relay) in configuration.relays.enumerated() {
            var credentials: ClientCredentials?
            if readingPasswords, let username = relay.username, let file = relay.passwordFile {
                credentials = ClientCredentials(username: username, password: try password(in: file, key: "relay[\(index)].password_file"))
            }
            for domain in relay.domains {
                relays[domain] = OutboundRoute.Relay(
                    host: relay.host, port: relay.port, implicitTLS: relay.tls == .implicit, credentials: credentials)
            }
        }
        return OutboundRouter(relays: relays, smtpPort: configuration.delivery.smtpPort)
    }

    static func settings(_ configuration: LoftConfiguration) throws -> OutboundQueueSettings {
        let delivery = configuration.delivery
        return OutboundQueueSettings(
            hostname: configuration.hostname, postmaster: "postmaster@\(configuration.domain)",
            schedule: RetrySchedule(first: delivery.retryAfter, maximum: delivery.maxRetryInterval, lifetime: delivery.queueLifetime),
            delayNoticeAfter: delivery.delayNoticeAfter, destinationConcurrency: delivery.destinationConcurrency,
            router: try router(configuration, readingPasswords: true),
            tlsPolicies: tlsPolicies(configuration), dkimKeys: LoftServer.dkimSigningIdentities(configuration))
    }

    private static func level(_ level: OutboundTLSSettings.Level) -> OutboundTLSLevel {
        OutboundTLSLevel(rawValue: level.rawValue) ?? .may
    }

    /// The first line of a relay's password file.
    private static func password(in path: String, key: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoftServer.StartupError(description: "\(key): cannot read \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !password.isEmpty else { throw LoftServer.StartupError(description: "\(key): \(path) has an empty first line") }
        return password
    }
}
