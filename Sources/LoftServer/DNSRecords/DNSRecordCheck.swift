import Config
import DNS
import Foundation

/// What `loft dns --check` found for one planned record.
public struct RecordVerdict: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Published as planned.
        case correct
        /// Nothing of this kind is published at the name.
        case missing
        /// Something of this kind is published, but not what the plan says; `difference` says how.
        case different(difference: String)
        /// The lookup failed, or DNSSEC validation did: nothing can be said about the record.
        case unknown(reason: String)
    }

    public var record: PlannedRecord
    public var outcome: Outcome
    /// What the lookup returned, in zone-file syntax (for `different` and for the JSON output).
    public var published: [String]
    public var dnssec: DNSSECStatus?

    public var isCorrect: Bool { outcome == .correct }
}

/// The whole check of one domain.
public struct DNSZoneCheck: Sendable, Equatable {
    public var domain: String
    /// The DNSSEC status of the domain's own MX answer: whether the zone is signed and validates.
    public var zoneStatus: DNSSECStatus?
    public var verdicts: [RecordVerdict]

    /// 0 when every record is correct, 1 otherwise.
    public var exitCode: Int32 { verdicts.allSatisfy(\.isCorrect) ? 0 : 1 }
}

/// Looks every planned record up through the validating resolver and compares. BLOCKS on every lookup
/// (libunbound): run it on a thread made for that (the `loft dns` command's own).
public enum DNSRecordChecker {
    /// Checks through the resolver of the `[dns]` section, built as the outbound queue builds it.
    /// - Throws: `LoftServer.StartupError` when the resolver cannot be set up (its text starts "dns: ").
    public static func check(domain: String, records: [PlannedRecord], dns: DNSSettings) throws -> DNSZoneCheck {
        check(domain: domain, records: records, resolver: try OutboundSetup.resolver(dns))
    }

    static func check(domain: String, records: [PlannedRecord], resolver: DNSResolver) -> DNSZoneCheck {
        var verdicts: [RecordVerdict] = []
        var zoneStatus: DNSSECStatus?
        for record in records {
            let verdict = check(record, resolver: resolver)
            if case .mx = record.expectation, record.name == domain.lowercased() { zoneStatus = verdict.dnssec }
            verdicts.append(verdict)
        }
        return DNSZoneCheck(domain: domain.lowercased(), zoneStatus: zoneStatus, verdicts: verdicts)
    }

    static func check(_ record: PlannedRecord, resolver: DNSResolver) -> RecordVerdict {
        do {
            switch record.expectation {
            case .mx(_, let host):
                let answer = try resolver.mx(record.name)
                return verdict(record, answer, published: answer.records.map { "\($0.preference) \(absolute($0.host))" }) {
                    compareMX(answer.records, host: host)
                }
            case .spf(let policy):
                let answer = try resolver.txt(record.name)
                let spf = answer.records.filter { isSPF($0) }
                return verdict(record, answer, published: spf.map(TXTRecordText.zoneFile)) { compareSPF(spf, expected: policy) }
            case .tags(let version, let required):
                let answer = try resolver.txt(record.name)
                let candidates = answer.records.filter { hasVersion($0, version) }
                return verdict(record, answer, published: candidates.map(TXTRecordText.zoneFile)) {
                    compareTags(candidates, version: version, required: required)
                }
            case .tlsa(let digest):
                let host = String(record.name.dropFirst("_25._tcp.".count))
                let answer = try resolver.tlsa(host: host, port: 25)
                let published = answer.records.map { "\($0.usage) \($0.selector) \($0.matchingType) " + $0.data.map { String(format: "%02x", $0) }.joined() }
                return verdict(record, answer, published: published) { compareTLSA(published, digest: digest, status: answer.status) }
            case .srv(let priority, let weight, let port, let host):
                let answer = try resolver.srv(record.name)
                let published = answer.records.map { "\($0.priority) \($0.weight) \($0.port) \(absolute($0.target))" }
                return verdict(record, answer, published: published) {
                    compareSRV(answer.records, expected: SRVRecord(priority: priority, weight: weight, port: port, target: host))
                }
            case .alias(let host):
                return try checkAlias(record, host: host, resolver: resolver)
            }
        } catch {
            return RecordVerdict(record: record, outcome: .unknown(reason: "\(error)"), published: [], dnssec: nil)
        }
    }

    /// A bogus answer says nothing about the data; otherwise `compare` decides.
    private static func verdict<Record>(
        _ record: PlannedRecord, _ answer: DNSAnswer<Record>, published: [String], compare: () -> RecordVerdict.Outcome
    ) -> RecordVerdict {
        if case .bogus(let reason) = answer.status {
            return RecordVerdict(
                record: record, outcome: .unknown(reason: "DNSSEC validation failed (\(reason))"), published: published,
                dnssec: answer.status)
        }
        return RecordVerdict(record: record, outcome: compare(), published: published, dnssec: answer.status)
    }

    // MARK: - Comparisons (pure)

    static func compareMX(_ records: [MXRecord], host: String) -> RecordVerdict.Outcome {
        if records.isEmpty { return .missing }
        if records.contains(where: \.isNullMX) {
            return .different(difference: "a null MX (RFC 7505) says the domain accepts no mail")
        }
        if records.contains(where: { $0.host == host }) { return .correct }
        return .different(difference: "the MX hosts are \(records.map(\.host).joined(separator: ", ")), not \(host)")
    }

    static func isSPF(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered == "v=spf1" || lowered.hasPrefix("v=spf1 ")
    }

    static func compareSPF(_ published: [String], expected: String) -> RecordVerdict.Outcome {
        guard let first = published.first else { return .missing }
        if published.count > 1 {
            // RFC 7208 §4.5: more than one record is a permanent error for every receiver.
            return .different(difference: "\(published.count) SPF records: receivers treat that as an error (RFC 7208 §4.5); keep one")
        }
        func folded(_ text: String) -> String { text.lowercased().split(separator: " ").joined(separator: " ") }
        if folded(first) == folded(expected) { return .correct }
        return .different(difference: "the SPF policy differs; check that it still allows this server")
    }

    /// The `tag=value` pairs of a DKIM/DMARC/MTA-STS/TLS-RPT record (RFC 6376 §3.2), names lowercased,
    /// values with folding whitespace removed.
    static func tags(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in text.split(separator: ";") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = part[part.index(after: equals)...].filter { $0 != " " && $0 != "\t" }
            if !name.isEmpty, result[name] == nil { result[name] = String(value) }
        }
        return result
    }

    /// A record of the kind `version` names (`v=DMARC1`): its `v` tag matches. A DKIM key record may leave
    /// `v=` out (RFC 6376 §3.6.1).
    static func hasVersion(_ text: String, _ version: String) -> Bool {
        let expected = tags(version)["v"]?.lowercased()
        guard let published = tags(text)["v"]?.lowercased() else { return expected == "dkim1" }
        return published == expected
    }

    static func compareTags(_ published: [String], version: String, required: [PlannedRecord.Tag]) -> RecordVerdict.Outcome {
        guard let first = published.first else { return .missing }
        if published.count > 1 {
            return .different(difference: "\(published.count) \(version) records where there must be one")
        }
        let found = tags(first)
        let differences = required.compactMap { tag -> String? in
            let want = tag.value.filter { $0 != " " }
            guard let have = found[tag.name] else { return "\(tag.name)= is missing (want \(tag.name)=\(short(want)))" }
            return have.caseInsensitiveCompare(want) == .orderedSame ? nil : "\(tag.name)=\(short(have)), want \(tag.name)=\(short(want))"
        }
        return differences.isEmpty ? .correct : .different(difference: differences.joined(separator: "; "))
    }

    static func compareTLSA(_ published: [String], digest: String, status: DNSSECStatus) -> RecordVerdict.Outcome {
        if published.isEmpty { return .missing }
        guard published.contains("3 1 1 \(digest.lowercased())") else {
            return .different(difference: "stale: no TLSA record matches this key; DANE senders will refuse to deliver until it is published")
        }
        if status != .secure {
            return .different(difference: "published, but not DNSSEC-signed: sending servers ignore TLSA records without DNSSEC (RFC 7672 §2.2)")
        }
        return .correct
    }

    static func compareSRV(_ published: [SRVRecord], expected: SRVRecord) -> RecordVerdict.Outcome {
        if published.isEmpty { return .missing }
        if published.contains(expected) { return .correct }
        if expected.target.isEmpty {
            return .different(difference: "this server does not offer the service, but the record points clients at it")
        }
        return .different(difference: "clients would connect to " + published.map { "\($0.target.isEmpty ? "." : $0.target):\($0.port)" }
            .joined(separator: ", ") + ", not \(expected.target):\(expected.port)")
    }

    /// A CNAME to `host`, or the same addresses as `host`.
    private static func checkAlias(_ record: PlannedRecord, host: String, resolver: DNSResolver) throws -> RecordVerdict {
        let v4 = try resolver.ipv4(record.name)
        let v6 = try resolver.ipv6(record.name)
        let published = (v4.records + v6.records).map { "\($0)" }
        return verdict(record, v4, published: published) {
            if v4.canonicalName == host || v6.canonicalName == host { return .correct }
            if published.isEmpty { return .missing }
            guard let target4 = try? resolver.ipv4(host), let target6 = try? resolver.ipv6(host) else {
                return .unknown(reason: "\(host) could not be looked up")
            }
            let expected = Set((target4.records + target6.records).map { "\($0)" })
            return Set(published) == expected
                ? .correct
                : .different(difference: "\(record.name) has other addresses than \(host)")
        }
    }

    private static func absolute(_ host: String) -> String { host.isEmpty ? "." : host + "." }

    /// A long value (a DKIM key) cut for one line.
    private static func short(_ value: String) -> String {
        value.count > 60 ? value.prefix(16) + "…" + value.suffix(8) : value
    }
}
