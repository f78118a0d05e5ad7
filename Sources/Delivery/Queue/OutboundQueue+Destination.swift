import DNS
import Foundation
import Logging
import TLS

extension OutboundQueue {
    typealias RecipientUpdate = (index: Int, result: RecipientResult, remote: String?, remoteSupportsDSN: Bool)

    /// Delivers `recipients` (all of one domain) of `envelope`: through the relay, or to the domain's MX
    /// hosts in preference order, each address in turn, until a host gives definitive answers.
    func deliver(
        domain: String, recipients: [(index: Int, recipient: RemoteRecipient)], of envelope: SpoolEnvelope, size: Int,
        messagePath: String, tlsRequiredNo: Bool
    ) async -> [RecipientUpdate] {
        let message = OutboundMessage(envelope: envelope, recipients: recipients.map(\.recipient), size: size)
        func all(_ result: RecipientResult) -> [RecipientUpdate] {
            recipients.map { ($0.index, result, nil, false) }
        }

        let route = settings.router.route(for: domain)
        var mtaSTS: MTASTSCachedPolicy?
        var hosts: [(host: DestinationHost, port: Int, plan: Result<HostTLSPlan, HostUnusable>, credentials: ClientCredentials?)] = []
        switch route {
        case .relay(let relay):
            let resolved = await resolveRelay(relay.host)
            switch resolved {
            case .success(let host):
                hosts = [(host, relay.port, .success(.relay(host: relay.host, implicitTLS: relay.implicitTLS)), relay.credentials)]
            case .failure(let unusable):
                return all(.deferred(FailureDetail(status: unusable.status, diagnostic: "X-Loft; \(unusable.reason)", remoteHost: nil)))
            }
        case .mx(let port):
            let policy = settings.tlsPolicies.policy(for: domain)
            mtaSTS = settings.tlsPolicies.consultsMTASTS(for: domain) ? await mtaSTSPolicies.policy(for: domain) : nil
            let wantsTLSA = policy.looksForDANE
            let destinations = self.destinations
            let plan = (try? await threadPool.runIfActive {
                destinations.plan(domain: domain, port: port, wantsTLSA: wantsTLSA)
            }) ?? .temporary(status: "4.3.0", reason: "the queue is shutting down")
            switch plan {
            case .undeliverable(let status, let reason):
                logger.info("undeliverable domain", metadata: ["domain": "\(domain)", "reason": "\(reason)"])
                return all(.failed(FailureDetail(status: status, diagnostic: "X-Loft; \(reason)", remoteHost: nil)))
            case .temporary(let status, let reason):
                logger.warning("destination lookup deferred", metadata: ["domain": "\(domain)", "reason": "\(reason)"])
                return all(.deferred(FailureDetail(status: status, diagnostic: "X-Loft; \(reason)", remoteHost: nil)))
            case .hosts(let found):
                let explicit = settings.tlsPolicies.hasEntry(for: domain)
                hosts = found.map { host in
                    let tlsPlan = HostTLSPlan.plan(
                        for: host, policy: policy, mtaSTS: mtaSTS, explicitPolicy: explicit, domain: domain,
                        requireTLS: envelope.requireTLS, tlsRequiredNo: tlsRequiredNo)
                    return (host, port, tlsPlan, nil)
                }
            }
        }

        var results = all(.deferred(FailureDetail(status: "4.4.1", diagnostic: "X-Loft; no host could be reached", remoteHost: nil)))
        var open = Array(results.indices)  // positions in `results` still without a definitive answer
        hostLoop: for (host, port, tlsPlan, credentials) in hosts {
            let plan: HostTLSPlan
            switch tlsPlan {
            case .failure(let unusable):
                logger.warning("MX host skipped", metadata: ["domain": "\(domain)", "mx": "\(host.name)", "reason": "\(unusable.reason)"])
                if route.isMX { countSkippedHost(unusable, host: host, domain: domain) }
                for position in open {
                    results[position].result = .deferred(FailureDetail(status: unusable.status, diagnostic: "X-Loft; \(unusable.reason)", remoteHost: host.name))
                }
                continue
            case .success(let success):
                // Explicit policy (the table, DANE, an enforced MTA-STS policy) goes before the downgrade memory.
                let memoryApplies = route.isMX && !tlsRequiredNo
                plan = memoryApplies ? await applyingMemory(to: success, host: host.name, domain: domain, mtaSTS: mtaSTS) : success
            }
            for address in host.addresses {
                var subset = message
                subset.recipients = open.map { recipients[$0].recipient }
                var report = await connect(address: address, port: port, host: host, domain: domain, message: subset,
                                           messagePath: messagePath, signature: envelope.dkimSignature, plan: plan, credentials: credentials)
                if report.handshakeFailed, plan.plaintextFallback {
                    var plaintext = plan
                    plaintext.mode = .none
                    plaintext.policyDescription += ", plaintext after a failed handshake"
                    report = await connect(address: address, port: port, host: host, domain: domain, message: subset,
                                           messagePath: messagePath, signature: envelope.dkimSignature, plan: plaintext, credentials: credentials)
                }
                if route.isMX {
                    await remember(report, host: host.name, domain: domain, plan: plan)
                    countForTLSReport(report, plan: plan, mtaSTS: mtaSTS, host: host, address: address, domain: domain)
                }
                let supportsDSN = report.capabilities?.dsn ?? false
                var stillOpen: [Int] = []
                for (offset, position) in open.enumerated() {
                    guard offset < report.outcome.recipients.count else {
                        stillOpen.append(position)
                        continue
                    }
                    let result = report.outcome.recipients[offset]
                    results[position] = (results[position].index, result, report.remote, supportsDSN)
                    if case .deferred = result, report.outcome.tryNextHost { stillOpen.append(position) }
                }
                open = stillOpen
                if open.isEmpty || !report.outcome.tryNextHost { break hostLoop }
            }
        }
        if envelope.requireTLS { return results.map(Self.failingUnmetRequireTLS) }
        return results
    }

    /// RFC 8689 §5: a REQUIRETLS message no host could take securely (a TLS failure, 4.7.x) is returned with
    /// 5.7.30; other temporary failures (no answer, 4xx replies) are retried as usual.
    private static func failingUnmetRequireTLS(_ update: RecipientUpdate) -> RecipientUpdate {
        guard case .deferred(let detail) = update.result, detail.status.hasPrefix("4.7.") else { return update }
        var failed = update
        failed.result = .failed(FailureDetail(
            status: "5.7.30", diagnostic: "\(detail.diagnostic) (REQUIRETLS could not be met)", remoteHost: detail.remoteHost))
        return failed
    }

    /// One connection, with the destination's connection slot held, and its log line.
    private func connect(
        address: IPAddress, port: Int, host: DestinationHost, domain: String, message: OutboundMessage,
        messagePath: String, signature: String?, plan: HostTLSPlan, credentials: ClientCredentials?
    ) async -> ConnectionReport {
        await acquireConnection(to: domain)
        let report = await SMTPClientConnection.deliver(
            to: address, port: port, hostName: host.name, heloName: settings.hostname, message: message,
            messagePath: messagePath, headerPrefix: Array((signature ?? "").utf8), plan: plan, credentials: credentials,
            tlsContext: tlsContext, group: group,
            threadPool: threadPool, timeout: settings.timeout)
        releaseConnection(to: domain)
        var metadata: Logger.Metadata = [
            "domain": "\(domain)", "mx": "\(host.name)", "ip": "\(address)", "port": "\(port)",
            "policy": "\(plan.policyDescription)", "dnssec": "\(host.isSecure ? "secure" : "insecure")",
        ]
        if let tls = report.tls {
            metadata["tls"] = "\(tls.protocolVersion) \(tls.cipher)"
            metadata["verification"] = "\(tls.verification.summary)"
        } else {
            metadata["tls"] = "none"
        }
        let delivered = report.outcome.recipients.filter { $0.isDelivered }.count
        let failed = report.outcome.recipients.filter { $0.isFailed }.count
        metadata["delivered"] = "\(delivered)"
        metadata["failed"] = "\(failed)"
        metadata["deferred"] = "\(report.outcome.recipients.count - delivered - failed)"
        if let problem = report.outcome.recipients.lazy.compactMap({ $0.failure }).first {
            metadata["reason"] = "\(problem.diagnostic)"
        }
        logger.info("delivery attempt", metadata: metadata)
        if let reportOnly = plan.reportOnly,
           let failure = plan.reportOnlyFailure(tls: report.tls, reachedEHLO: report.capabilities != nil) {
            logger.warning("MTA-STS testing: enforcing the policy would have refused this delivery", metadata: [
                "domain": "\(domain)", "mx": "\(host.name)", "ip": "\(address)", "policy": "\(reportOnly.policy)",
                "reason": "\(failure)"])
        }
        return report
    }

    /// The relay's addresses (not DNSSEC-dependent: a relay is verified by its certificate).
    private func resolveRelay(_ name: String) async -> Result<DestinationHost, HostUnusable> {
        if let literal = IPAddress(literal: name) {
            return .success(DestinationHost(name: name, preference: 0, addresses: [literal], isSecure: false, tlsa: [], unusable: nil))
        }
        let destinations = self.destinations
        do {
            let host = try await threadPool.runIfActive {
                try destinations.host(name, preference: 0, port: 0, mxSecure: false, wantsTLSA: false)
            }
            if let unusable = host.unusable { return .failure(unusable) }
            guard !host.addresses.isEmpty else { return .failure(HostUnusable(status: "4.4.4", reason: "the relay \(name) has no address")) }
            return .success(host)
        } catch {
            return .failure(HostUnusable(status: "4.4.3", reason: "cannot look up the relay \(name): \(error)"))
        }
    }
}

extension IPAddress {
    /// The address written as a literal ("192.0.2.1", "2001:db8::1"), or nil for a host name.
    init?(literal text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: v6) { Array($0) })
            return
        }
        return nil
    }
}
