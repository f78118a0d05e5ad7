internal import Foundation

/// The outbound parts of the configuration: the queue keys of `[delivery]`, `[dns]`, `[outbound_tls]` and
/// `[[relay]]`.
extension ConfigParser {
    static let queueKeys = [
        "queue_lifetime", "retry_after", "max_retry_interval", "destination_concurrency", "delay_notice_after",
        "smtp_port",
    ]

    func parseQueue(_ section: TableReader, into delivery: inout DeliverySettings) {
        func interval(_ key: String, in range: ClosedRange<Duration>, _ target: inout Duration) {
            guard let value = attempt({ try section.duration(key) }) else { return }
            if range.contains(value.value) {
                target = value.value
            } else {
                problems.record(section.error(
                    key, "must be from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound)), got \"\(value.text)\""))
            }
        }
        interval("queue_lifetime", in: DeliverySettings.queueLifetimeRange, &delivery.queueLifetime)
        interval("retry_after", in: DeliverySettings.retryIntervalRange, &delivery.retryAfter)
        interval("max_retry_interval", in: DeliverySettings.retryIntervalRange, &delivery.maxRetryInterval)
        if delivery.maxRetryInterval < delivery.retryAfter {
            problems.record(section.error("max_retry_interval", "must not be shorter than retry_after"))
        }
        if let notice = attempt({ try section.duration("delay_notice_after") }) {
            delivery.delayNoticeAfter = notice.value == .zero ? nil : notice.value
        }
        if let count = attempt({ try section.int("destination_concurrency") }) {
            let range = DeliverySettings.destinationConcurrencyRange
            if range.contains(count) {
                delivery.destinationConcurrency = count
            } else {
                problems.record(section.error(
                    "destination_concurrency", "must be from \(range.lowerBound) to \(range.upperBound), got \(count)"))
            }
        }
        if let port = attempt({ try section.int("smtp_port") }) {
            if (1...65535).contains(port) {
                delivery.smtpPort = port
            } else {
                problems.record(section.error("smtp_port", "must be a TCP port from 1 to 65535, got \(port)"))
            }
        }
    }

    func parseDNS(_ section: TableReader) -> DNSSettings {
        section.rejectUnknownKeys(
            known: ["forwarders", "trust_anchor_file", "trust_anchors", "transparent_zones"], into: problems)
        var dns = DNSSettings()
        if let forwarders = attempt({ try section.stringArray("forwarders") }) {
            for (index, text) in forwarders.enumerated() where !Self.isForwarder(text) {
                problems.record(section.error(
                    "forwarders[\(index)]", "must be an IP address with an optional @port, like \"127.0.0.1\" or \"::1@5353\", got \"\(text)\""))
            }
            dns.forwarders = forwarders
        }
        if section.has("trust_anchor_file") {
            dns.trustAnchorFile = attempt { try path(section, "trust_anchor_file") }
        }
        dns.trustAnchors = attempt { try section.stringArray("trust_anchors") } ?? []
        // Private anchors alone (a lab, a test network) mean just those; the root anchor is the default otherwise.
        if !section.has("trust_anchor_file"), dns.trustAnchors.isEmpty {
            dns.trustAnchorFile = DNSSettings.standard.trustAnchorFile
        }
        if let zones = attempt({ try section.stringArray("transparent_zones") }) {
            for (index, zone) in zones.enumerated() where !Self.isHostName(zone.hasSuffix(".") ? String(zone.dropLast()) : zone) {
                problems.record(section.error("transparent_zones[\(index)]", "must be a domain name, got \"\(zone)\""))
            }
            dns.transparentZones = zones
        }
        return dns
    }

    func parseOutboundTLS(_ section: TableReader) -> OutboundTLSSettings {
        section.rejectUnknownKeys(known: ["ca_file", "default_level", "policy"], into: problems)
        var settings = OutboundTLSSettings()
        if section.has("ca_file") { settings.caFile = attempt { try path(section, "ca_file") } }
        if let level = attempt({ try section.choice("default_level", of: OutboundTLSSettings.Level.self) }) {
            settings.defaultLevel = level
        }
        var seen: [String: String] = [:]
        for entry in attempt({ try section.arrayOfTables("policy") }) ?? [] {
            entry.rejectUnknownKeys(known: ["domain", "level", "match", "fingerprints"], into: problems)
            let domain = attempt { () -> String? in
                let text = try entry.requiredString("domain")
                let name = text.hasPrefix(".") ? String(text.dropFirst()) : text
                guard Self.isHostName(name) else {
                    throw entry.error("domain", "must be a domain like \"example.org\" or \".example.org\", got \"\(text)\"")
                }
                return text.lowercased()
            }
            let level = required(entry, "level") { try entry.choice("level", of: OutboundTLSSettings.Level.self) }
            let match = attempt { try entry.stringArray("match") } ?? []
            let fingerprints = (attempt { try entry.stringArray("fingerprints") } ?? []).map(Self.normalisedFingerprint)
            for (index, fingerprint) in fingerprints.enumerated() where !Self.isSHA256Hex(fingerprint) {
                problems.record(entry.error(
                    "fingerprints[\(index)]", "must be a SHA-256 digest in hex (64 digits, colons allowed), got \"\(fingerprint)\""))
            }
            if level == .fingerprint, fingerprints.isEmpty {
                problems.record(entry.error("fingerprints", "level \"fingerprint\" needs at least one fingerprint"))
            }
            guard let domain, let level else { continue }
            if let first = seen[domain] {
                problems.record(entry.error("domain", "duplicate policy for \(domain) (also \(first))"))
                continue
            }
            seen[domain] = entry.path
            settings.policies.append(.init(domain: domain, level: level, match: match, fingerprints: fingerprints))
        }
        return settings
    }

    func parseRelays(_ root: TableReader) -> [RelaySettings] {
        guard root.has("relay"), let entries = attempt({ try root.arrayOfTables("relay") }) else { return [] }
        var relays: [RelaySettings] = []
        var claimed: [String: String] = [:]
        for entry in entries {
            entry.rejectUnknownKeys(known: ["domains", "host", "tls", "username", "password_file"], into: problems)
            let domains = required(entry, "domains") { try entry.stringArray("domains") } ?? []
            for (index, domain) in domains.enumerated() {
                let key = "domains[\(index)]"
                guard domain == "*" || Self.isHostName(domain) else {
                    problems.record(entry.error(key, "must be a domain like \"example.org\" or \"*\", got \"\(domain)\""))
                    continue
                }
                if let first = claimed[domain.lowercased()] {
                    problems.record(entry.error(key, "\(domain) is already relayed by \(first)"))
                }
                claimed[domain.lowercased()] = entry.path
            }
            var hostAndPort: (String, Int)?
            if let text = attempt({ try entry.requiredString("host") }) {
                hostAndPort = Self.hostAndPort(text)
                if hostAndPort == nil {
                    problems.record(entry.error("host", "must be \"host:port\", like \"smtp.example.net:587\", got \"\(text)\""))
                }
            }
            let tls = required(entry, "tls") { try entry.choice("tls", of: RelaySettings.TLSMode.self) }
            let username = attempt { try entry.string("username") }
            var passwordFile: String?
            if entry.has("password_file") { passwordFile = attempt { try path(entry, "password_file") } }
            if (username == nil) != (passwordFile == nil) {
                problems.record(entry.error(
                    username == nil ? "username" : "password_file", "username and password_file go together"))
            }
            guard let (host, port) = hostAndPort, let tls, !domains.isEmpty else { continue }
            relays.append(RelaySettings(
                domains: domains.map { $0.lowercased() }, host: host.lowercased(), port: port, tls: tls,
                username: username, passwordFile: passwordFile))
        }
        return relays
    }

    /// "host:port" with a host name or IPv4 literal, or "[IPv6]:port".
    static func hostAndPort(_ text: String) -> (String, Int)? {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard isHostName(String(host)) else { return nil }
        }
        guard let number = Int(port), (1...65535).contains(number) else { return nil }
        return (String(host), number)
    }

    /// An IP address (v4 or v6) with an optional `@port`, as libunbound takes forwarders.
    static func isForwarder(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        if parts.count == 2 { guard let port = Int(parts[1]), (1...65535).contains(port) else { return false } }
        var v4 = in_addr(), v6 = in6_addr()
        let address = String(parts[0])
        return inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1
    }

    static func normalisedFingerprint(_ text: String) -> String {
        text.lowercased().filter { $0 != ":" }
    }

    static func isSHA256Hex(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy(\.isHexDigit)
    }
}

extension DNSSettings {
    /// The defaults: the system's resolvers, and Debian's root trust anchor when installed.
    static var standard: DNSSettings {
        let root = DNSSettings.debianRootTrustAnchor
        return DNSSettings(trustAnchorFile: FileManager.default.fileExists(atPath: root) ? root : nil)
    }
}
