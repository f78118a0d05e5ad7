import Foundation
import NIOCore
import TLS

/// `loft check-tls HOST[:PORT]`: resolves the host, talks the protocol through STARTTLS (or inside
/// implicit TLS), and then asks once per TLS version whether the server accepts it.
public struct TLSServiceCheck: Sendable {
    public var target: TLSCheckTarget
    /// The name SMTP greets with (EHLO).
    public var heloName: String
    public var timeouts: TLSCheckTimeouts

    public init(target: TLSCheckTarget, heloName: String, timeouts: TLSCheckTimeouts = TLSCheckTimeouts()) {
        self.target = target
        self.heloName = heloName
        self.timeouts = timeouts
    }

    public func run(on runtime: TLSCheckRuntime) async -> TLSServiceReport {
        let now = Date()
        let target = self.target
        let anchors = target.caFile.map { "the system CAs and \($0)" } ?? "the system CAs"
        func report(failure: String? = nil, attempts: [TLSServiceReport.FailedAttempt] = [], address: String? = nil,
                    connection: TLSCheckConnectionResult? = nil, versions: [TLSVersionProbe] = []) -> TLSServiceReport {
            TLSServiceReport(target: target, checkedAt: now, trustAnchors: anchors, failure: failure,
                             failedAttempts: attempts, connectedAddress: address, connection: connection, versions: versions)
        }

        let context: TLSClientContext
        do {
            context = try await runtime.blocking {
                try TLSClientContext(configuration: TLSClientConfiguration(extraTrustAnchorsFile: target.caFile))
            }
        } catch {
            return report(failure: "cannot set up TLS: \(error)")
        }
        let addresses: [SocketAddress]
        do {
            addresses = try await runtime.blocking { try HostAddresses.resolve(target.host, port: target.port) }
        } catch {
            return report(failure: "cannot resolve \(target.host): \(error)")
        }

        let expectation = TLSPeerExpectation(
            serverName: HostAddresses.isLiteral(target.referenceName) ? nil : target.referenceName,
            referenceNames: [target.referenceName])
        var attempts: [TLSServiceReport.FailedAttempt] = []
        for address in addresses {
            let text = HostAddresses.text(address)
            let connection: TLSCheckConnectionResult
            do {
                connection = try await TLSCheckConnection.run(
                    address: address, protocol: target.protocol, mode: target.mode, heloName: heloName,
                    tlsContext: context, expectation: expectation, scope: .complete, timeouts: timeouts, group: runtime.group)
            } catch {
                attempts.append(TLSServiceReport.FailedAttempt(address: text, reason: error.description))
                continue
            }
            let versions = await probeVersions(address: address, reachedTLS: connection, expectation: expectation, runtime: runtime)
            return report(attempts: attempts, address: text, connection: connection, versions: versions)
        }
        let reasons = attempts.map { "\($0.address): \($0.reason)" }.joined(separator: "; ")
        return report(failure: "cannot connect to \(target.host) port \(target.port) (\(reasons))", attempts: attempts)
    }

    /// One connection per version, on the address that answered. Skipped when the main connection
    /// never got to a handshake (no STARTTLS, or the dialogue failed first).
    private func probeVersions(address: SocketAddress, reachedTLS main: TLSCheckConnectionResult,
                               expectation: TLSPeerExpectation, runtime: TLSCheckRuntime) async -> [TLSVersionProbe] {
        guard main.session != nil || main.handshakeFailure != nil else { return [] }
        var probes: [TLSVersionProbe] = []
        for version in TLSProtocolVersion.allCases {
            probes.append(await probe(version, address: address, expectation: expectation, runtime: runtime))
        }
        return probes
    }

    private func probe(_ version: TLSProtocolVersion, address: SocketAddress, expectation: TLSPeerExpectation,
                       runtime: TLSCheckRuntime) async -> TLSVersionProbe {
        let context: TLSClientContext
        do {
            // No trust store: only the handshake matters here.
            context = try await runtime.blocking {
                try TLSClientContext(configuration: TLSClientConfiguration(useSystemTrustStore: false, onlyVersion: version))
            }
        } catch {
            return TLSVersionProbe(version: version, outcome: .notTested(reason: "this OpenSSL cannot offer it: \(error)"))
        }
        let result: TLSCheckConnectionResult
        do {
            result = try await TLSCheckConnection.run(
                address: address, protocol: target.protocol, mode: target.mode, heloName: heloName, tlsContext: context,
                expectation: expectation, scope: .untilHandshake, timeouts: timeouts, group: runtime.group)
        } catch {
            return TLSVersionProbe(version: version, outcome: .notTested(reason: "cannot connect: \(error)"))
        }
        if let session = result.session { return TLSVersionProbe(version: version, outcome: .accepted(cipher: session.cipher)) }
        if let failure = result.handshakeFailure {
            // OpenSSL refusing to even offer the version is not the server's answer.
            if failure.contains("no protocols available") || failure.contains("no ciphers available") {
                return TLSVersionProbe(version: version, outcome: .notTested(reason: "this OpenSSL cannot offer it (\(failure))"))
            }
            return TLSVersionProbe(version: version, outcome: .refused(reason: failure))
        }
        let why = result.transcript.problem ?? result.interruption ?? "the server did not get to a TLS handshake"
        return TLSVersionProbe(version: version, outcome: .notTested(reason: why))
    }
}
