import Config
import DNS
import Foundation
import Synchronization

/// Whether the `[dns]` resolver validates DNSSEC: it asks, through the configured forwarders and trust
/// anchors, for a name in the zone of the first trust anchor (the root for Debian's root key) and looks at
/// the validation status. That works offline with a local forwarder, and needs no particular signed domain
/// on the internet.
enum DoctorDNSCheck {
    static func run(_ settings: DNSSettings, timeout: Duration, runtime: TLSCheckRuntime) async -> DoctorDNS {
        var report = DoctorDNS(
            forwarders: settings.forwarders, trustAnchorZones: [], validation: .noTrustAnchor, probedName: nil, answer: nil,
            problems: [], warnings: [])
        // Built first, as the queue builds it: a trust anchor file it cannot read fails here in serve's words.
        let resolver: DNSResolver
        let zones: [String]
        do {
            resolver = try await runtime.blocking { try OutboundSetup.resolver(settings) }
            zones = try await runtime.blocking { try trustAnchorZones(settings) }
        } catch {
            report.validation = .failing
            report.answer = "not asked: the resolver cannot be set up"
            report.problems.append("\(error)")
            return report
        }
        report.trustAnchorZones = zones
        guard let zone = zones.first else {
            report.warnings.append("dns: no trust anchor, so the resolver cannot validate DNSSEC and DANE is never used; "
                                   + "install dns-root-data (\(DNSSettings.debianRootTrustAnchor)) or set trust_anchor_file")
            return report
        }
        report.probedName = zone
        let servers = settings.forwarders.isEmpty ? "the resolvers of /etc/resolv.conf" : settings.forwarders.joined(separator: ", ")
        switch await lookUp(zone, resolver: resolver, timeout: timeout) {
        case .none:
            report.validation = .unanswered
            report.answer = "timed out after \(timeout.components.seconds) s"
            report.warnings.append("dns: DNSSEC not checked: \(servers) gave no answer for \(zone) within "
                                   + "\(timeout.components.seconds) s; outbound mail cannot be delivered without DNS")
        case .failure(let error)?:
            report.validation = .unanswered
            report.answer = "\(error)"
            report.warnings.append("dns: DNSSEC not checked: \(error); outbound mail cannot be delivered without DNS")
        case .success(.secure)?:
            report.validation = .validating
            report.answer = "secure"
        case .success(.insecure)?:
            report.validation = .failing
            report.answer = "insecure"
            report.warnings.append("dns: the answer for \(zone) is not validated although a trust anchor covers it; "
                                   + "DANE is never used (is \(zone) a local zone that needs transparent_zones?)")
        case .success(.bogus(let reason))?:
            report.validation = .failing
            report.answer = "bogus: \(reason)"
            report.problems.append("dns: DNSSEC validation fails for \(zone) (\(reason)): every signed domain looks forged, "
                                   + "so mail to them stays queued; \(servers) must pass DNSSEC records through, or the "
                                   + "trust anchor is wrong")
        }
        return report
    }

    /// The zones of the trust anchors, in order: the owner names of `trust_anchors`, then those in
    /// `trust_anchor_file` (zone-file lines, `;` comments). Reads the file: blocking.
    static func trustAnchorZones(_ settings: DNSSettings) throws -> [String] {
        var lines = settings.trustAnchors
        if let file = settings.trustAnchorFile {
            do {
                lines += try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
            } catch {
                throw DoctorDNSError(description: "dns: trust_anchor_file \(file) cannot be read: \(error.localizedDescription)")
            }
        }
        var zones: [String] = []
        for line in lines {
            let text = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard let owner = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first,
                  !owner.hasPrefix("$"), !line.hasPrefix(" "), !line.hasPrefix("\t") else { continue }
            // Lowercased without the trailing dot, as the resolver reports names; the root stays ".".
            let lowered = owner.lowercased()
            let zone = lowered == "." ? "." : lowered.hasSuffix(".") ? String(lowered.dropLast()) : lowered
            if !zones.contains(zone) { zones.append(zone) }
        }
        return zones
    }

    /// The DNSSEC status of a TXT lookup (a name with no TXT record still gets a validated "no data"
    /// answer), or nil when the resolver has not answered within `timeout`. The lookup blocks in
    /// libunbound with its own retries, so it runs on a thread of its own that is left behind on timeout.
    private static func lookUp(_ name: String, resolver: DNSResolver, timeout: Duration) async -> Result<DNSSECStatus, any Error>? {
        let race = FirstAnswer()
        return await withCheckedContinuation { continuation in
            race.wait(continuation)
            Thread.detachNewThread {
                race.finish(Result { try resolver.txt(name).status })
            }
            Task {
                try? await Task.sleep(for: timeout)
                race.finish(nil)
            }
        }
    }

    /// Resumes the waiting task with whichever outcome comes first: the answer or the timeout.
    private final class FirstAnswer: Sendable {
        private let pending = Mutex<CheckedContinuation<Result<DNSSECStatus, any Error>?, Never>?>(nil)

        func wait(_ continuation: CheckedContinuation<Result<DNSSECStatus, any Error>?, Never>) {
            pending.withLock { $0 = continuation }
        }

        func finish(_ outcome: Result<DNSSECStatus, any Error>?) {
            pending.withLock { continuation in
                continuation?.resume(returning: outcome)
                continuation = nil
            }
        }
    }
}

struct DoctorDNSError: Error, CustomStringConvertible {
    var description: String
}
