import Config
import Delivery
import DNS

/// One DNS record a domain needs for this Loft, as `loft dns` prints it and `loft dns --check` looks for it.
public struct PlannedRecord: Sendable, Equatable {
    /// One `tag=value` a record must have.
    public struct Tag: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// What the record is checked as. TXT records of one kind are told apart by their version tag, so a
    /// domain's SPF record is found among its other TXT records.
    public enum Expectation: Sendable, Equatable {
        case mx(preference: UInt16, host: String)
        /// The exact SPF policy (compared with whitespace and case folded).
        case spf(String)
        /// A `tag=value; ...` record (DKIM, DMARC, MTA-STS, TLS-RPT): the version tag that identifies it,
        /// and the tags whose values must match (the record may have more tags).
        case tags(version: String, required: [Tag])
        /// DANE-EE, SPKI, SHA-256 (`3 1 1`, RFC 7671 §5.1) of this public key digest, in hex.
        case tlsa(publicKeySHA256: String)
        /// The service at `host:port`; port 0 and host "" is the RFC 6186 §4 "not offered" record.
        case srv(priority: UInt16, weight: UInt16, port: UInt16, host: String)
        /// A name that must lead to `host` (a CNAME to it, or the same addresses).
        case alias(of: String)
    }

    /// The owner name, lowercased, without the trailing dot.
    public var name: String
    public var expectation: Expectation
    /// The record data in zone-file syntax (`10 mail.example.org.`, `"v=spf1 mx -all"`).
    public var data: String
    /// One line saying what the record is for.
    public var purpose: String

    /// The record type in zone-file syntax.
    public var type: String {
        switch expectation {
        case .mx: return "MX"
        case .spf, .tags: return "TXT"
        case .tlsa: return "TLSA"
        case .srv: return "SRV"
        case .alias: return "CNAME"
        }
    }
}

/// What a DNS zone must hold for this Loft to send and serve mail for one of its domains: MX, SPF, DKIM,
/// DMARC, MTA-STS, TLS-RPT, TLSA and the client SRV records (RFC 6186, RFC 8314 §5.1). Pure: the key
/// digests and DKIM records come in already read from their files.
public enum DNSRecordPlan {
    /// What the plan needs from files (reading them blocks, so the caller does it).
    public struct Keys: Sendable, Equatable {
        /// SPKI SHA-256 (hex) of the certificate served for the host name.
        public var certificateKeySHA256: String?
        /// SPKI SHA-256 (hex) of `[tls] next_key`.
        public var nextKeySHA256: String?
        /// The TXT record of every `[[dkim]]` key, with its entry.
        public var dkim: [DKIMPublicKey]

        public init(certificateKeySHA256: String?, nextKeySHA256: String?, dkim: [DKIMPublicKey] = []) {
            self.certificateKeySHA256 = certificateKeySHA256
            self.nextKeySHA256 = nextKeySHA256
            self.dkim = dkim
        }
    }

    /// One `[[dkim]]` key as DNS publishes it.
    public struct DKIMPublicKey: Sendable, Equatable {
        public var settings: DKIMKeySettings
        public var record: DKIMDNSRecord

        public init(settings: DKIMKeySettings, record: DKIMDNSRecord) {
            self.settings = settings
            self.record = record
        }
    }

    /// The TTL printed with every record.
    public static let ttl = 3600

    /// The records `domain` needs, in the order `loft dns` prints them.
    public static func records(for domain: String, configuration: LoftConfiguration, keys: Keys) -> [PlannedRecord] {
        let domain = domain.lowercased()
        let host = configuration.hostname.lowercased()
        let postmaster = "mailto:postmaster@\(domain)"
        var records: [PlannedRecord] = []

        records.append(PlannedRecord(
            name: domain, expectation: .mx(preference: 10, host: host), data: "10 \(host).",
            purpose: "Mail for \(domain) goes to \(host) (RFC 5321 §5.1)."))

        let spf = spfPolicy(configuration, domain: domain)
        records.append(PlannedRecord(
            name: domain, expectation: .spf(spf), data: TXTRecordText.zoneFile(spf),
            purpose: "SPF (RFC 7208): only the MX hosts" + (spf.contains("a:") ? " and the relays" : "")
                + " send mail from \(domain); everything else fails."))

        for key in keys.dkim where key.settings.domain == domain {
            let tags = DNSRecordChecker.tags(key.record.value)
            let use = key.settings.sign ? "signs outgoing mail now" : "published only (sign = false: a key being staged or retired)"
            records.append(PlannedRecord(
                name: String(key.record.name.dropLast()),
                expectation: .tags(version: "v=DKIM1", required: [.init("k", tags["k"] ?? ""), .init("p", tags["p"] ?? "")]),
                data: TXTRecordText.zoneFile(key.record.value),
                purpose: "DKIM (RFC 6376): the public key of selector \(key.settings.selector) (\(key.settings.algorithm.rawValue)); it \(use)."))
        }

        let dmarc = "v=DMARC1; p=quarantine; rua=\(postmaster)"
        records.append(PlannedRecord(
            name: "_dmarc.\(domain)",
            expectation: .tags(version: "v=DMARC1", required: [.init("p", "quarantine"), .init("rua", postmaster)]),
            data: TXTRecordText.zoneFile(dmarc),
            purpose: "DMARC (RFC 7489): mail failing SPF and DKIM alignment is quarantined; aggregate reports go to postmaster@\(domain)."))

        let tlsRPT = "v=TLSRPTv1; rua=\(postmaster)"
        records.append(PlannedRecord(
            name: "_smtp._tls.\(domain)", expectation: .tags(version: "v=TLSRPTv1", required: [.init("rua", postmaster)]),
            data: TXTRecordText.zoneFile(tlsRPT),
            purpose: "TLS-RPT (RFC 8460): sending servers report TLS failures with \(domain) to postmaster@\(domain)."))

        // The policy and the autoconfig documents are served only by an https listener (port 443).
        if configuration.listeners.contains(where: { $0.protocol == .https }) {
            let policy = MTASTSPublishedPolicy(settings: configuration.mtaSTS, hostname: host)
            records.append(PlannedRecord(
                name: "_mta-sts.\(domain)", expectation: .tags(version: "v=STSv1", required: [.init("id", policy.id)]),
                data: TXTRecordText.zoneFile(policy.record),
                purpose: "MTA-STS (RFC 8461): the id of the policy served now (mode \(policy.policy.mode.rawValue)); it changes with the policy."))
            records.append(PlannedRecord(
                name: "mta-sts.\(domain)", expectation: .alias(of: host), data: "\(host).",
                purpose: "Sending servers fetch the MTA-STS policy from https://mta-sts.\(domain)/ (this server's https listener)."))
            records.append(PlannedRecord(
                name: "autoconfig.\(domain)", expectation: .alias(of: host), data: "\(host).",
                purpose: "Thunderbird fetches its account settings from https://autoconfig.\(domain)/ (this server's https listener)."))
        }

        if let current = keys.certificateKeySHA256 {
            records.append(PlannedRecord(
                name: "_25._tcp.\(host)", expectation: .tlsa(publicKeySHA256: current), data: "3 1 1 \(current)",
                purpose: "DANE (RFC 7672): the key of the certificate \(host) serves now. Needs a DNSSEC-signed zone."))
        }
        if let next = keys.nextKeySHA256, next != keys.certificateKeySHA256 {
            records.append(PlannedRecord(
                name: "_25._tcp.\(host)", expectation: .tlsa(publicKeySHA256: next), data: "3 1 1 \(next)",
                purpose: "DANE: the staged next key ([tls] next_key), published before the certificate switches to it."))
        }

        records += serviceRecords(configuration, domain: domain, host: host)
        return records
    }

    /// `v=spf1 mx -all`, with an `a:` mechanism for each relay host the queue sends through.
    static func spfPolicy(_ configuration: LoftConfiguration, domain: String) -> String {
        var relays: [String] = []
        for relay in configuration.relays where !relays.contains(relay.host.lowercased()) {
            relays.append(relay.host.lowercased())
        }
        return (["v=spf1", "mx"] + relays.map { "a:\($0)" } + ["-all"]).joined(separator: " ")
    }

    /// RFC 6186 §3 and RFC 8314 §5.1: one SRV record per mail service; implicit TLS (priority 0) before
    /// STARTTLS (priority 10); a service without a listener, or offered only in plaintext, gets the
    /// "not offered" record (target ".").
    static func serviceRecords(_ configuration: LoftConfiguration, domain: String, host: String) -> [PlannedRecord] {
        let services: [(label: String, protocol: ListenerConfiguration.ServiceProtocol, tls: ListenerConfiguration.TLSMode, what: String)] = [
            ("_submissions", .submission, .implicit, "submission over implicit TLS"),
            ("_submission", .submission, .starttls, "submission with STARTTLS"),
            ("_imaps", .imap, .implicit, "IMAP over implicit TLS"),
            ("_imap", .imap, .starttls, "IMAP with STARTTLS"),
            ("_pop3s", .pop3, .implicit, "POP3 over implicit TLS"),
            ("_pop3", .pop3, .starttls, "POP3 with STLS"),
        ]
        return services.map { service in
            let name = "\(service.label)._tcp.\(domain)"
            guard let listener = configuration.listeners.first(where: { $0.protocol == service.protocol && $0.tls == service.tls }) else {
                return PlannedRecord(
                    name: name, expectation: .srv(priority: 0, weight: 0, port: 0, host: ""), data: "0 0 0 .",
                    purpose: "No \(service.what) here: clients should not look for it (RFC 6186 §4).")
            }
            let priority: UInt16 = service.tls == .implicit ? 0 : 10
            let port = UInt16(clamping: listener.address.port)
            return PlannedRecord(
                name: name, expectation: .srv(priority: priority, weight: 1, port: port, host: host),
                data: "\(priority) 1 \(port) \(host).",
                purpose: "Mail clients find \(service.what) at \(host):\(port) (RFC 6186, RFC 8314 §5.1).")
        }
    }
}
