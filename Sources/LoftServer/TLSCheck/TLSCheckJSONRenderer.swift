import DNS
import Delivery
import Foundation
import TLS

/// The reports as one JSON object each, for monitoring. Key names are stable (README, "Diagnose
/// TLS"); a value that does not apply is `null`, never left out.
public enum TLSCheckJSONRenderer {
    public static func render(_ report: TLSServiceReport) -> String {
        serialize(object(report))
    }

    /// The service report as a JSON object, also nested in `loft doctor --json`.
    static func object(_ report: TLSServiceReport) -> [String: Any] {
        let target = report.target
        let connection = report.connection
        let transcript = connection?.transcript
        var object: [String: Any] = [
            "mode": "service",
            "host": target.host,
            "port": target.port,
            "protocol": target.protocol.rawValue,
            "tls_mode": target.mode.rawValue,
            "name": target.referenceName,
            "trust_anchors": report.trustAnchors,
            "checked_at": timestamp(report.checkedAt),
            "address": nullable(report.connectedAddress),
            "failed_attempts": report.failedAttempts.map { ["address": $0.address, "reason": $0.reason] },
            "greeting": nullable(transcript?.greeting),
            "before_tls": nullable(transcript?.beforeTLS.map(capabilities)),
            "starttls_offered": target.mode == .implicit ? NSNull() : nullable(transcript?.beforeTLS?.startTLS),
            "starttls_reply": nullable(transcript?.startTLSReply),
            "after_tls": nullable(transcript?.afterTLS.map(capabilities)),
            "interruption": nullable(transcript?.problem ?? connection?.interruption),
            "versions": Dictionary(uniqueKeysWithValues: report.versions.map { ($0.version.rawValue, version($0)) }),
        ]
        object.merge(session(connection, now: report.checkedAt)) { $1 }
        object.merge(verdict(report.verdict)) { $1 }
        return object
    }

    public static func render(_ report: MXCheckReport) -> String {
        var object: [String: Any] = [
            "mode": "mx",
            "domain": report.domain,
            "checked_at": timestamp(report.checkedAt),
            "settings": report.settingsSource,
            "relay": nullable(report.relay),
            "setup_failure": nullable(report.setupFailure),
            "hosts": report.hosts.map { host($0, now: report.checkedAt) },
            "untried_mx": report.untriedMX.map { ["preference": Int($0.preference), "host": $0.host] as [String: Any] },
            "mta_sts": nullable(report.mtaSTS.map(mtaSTS)),
            "downgrade_memory": nullable(report.downgradeMemory.map { downgradeMemory($0, report: report) }),
            "tls_rpt": nullable(report.tlsReport.map(tlsRPT)),
        ]
        if let inspection = report.inspection {
            object["port"] = inspection.port
            object["policy"] = TLSCheckTextRenderer.policyText(inspection.policy)
            object["mx"] = nullable(inspection.mx.map { mx -> [String: Any] in
                [
                    "dnssec": dnssec(mx.status),
                    "exists": mx.nameExists,
                    "null_mx": mx.records.contains(where: \.isNullMX),
                    "records": mx.records.map { ["preference": Int($0.preference), "host": $0.host] as [String: Any] },
                ]
            })
            switch inspection.outcome {
            case .hosts:
                object["dns_outcome"] = "hosts"
                object["dns_reason"] = NSNull()
            case .undeliverable(_, let reason):
                object["dns_outcome"] = "undeliverable"
                object["dns_reason"] = reason
            case .temporary(_, let reason):
                object["dns_outcome"] = "temporary"
                object["dns_reason"] = reason
            }
        } else {
            for key in ["port", "policy", "mx", "dns_outcome", "dns_reason"] { object[key] = NSNull() }
        }
        object.merge(verdict(report.verdict)) { $1 }
        return serialize(object)
    }

    // MARK: Pieces

    private static func host(_ report: MXCheckReport.HostReport, now: Date) -> [String: Any] {
        let host = report.host
        var object: [String: Any] = [
            "name": host.name,
            "preference": host.preference,
            "addresses_dnssec": ["ipv6": nullable(host.ipv6Status.map(dnssec)), "ipv4": nullable(host.ipv4Status.map(dnssec))],
            "dnssec_secure": host.isSecure,
            "tlsa": [
                "looked_up": host.tlsaLookedUp,
                "dnssec": nullable(host.tlsaStatus.map(dnssec)),
                "records": host.tlsa.map(TLSCheckTextRenderer.tlsaText),
            ] as [String: Any],
            "addresses": report.addresses.map { address($0, now: now) },
        ]
        switch host.plan {
        case .success(let plan):
            object["plan"] = plan.policyDescription
            object["skipped"] = NSNull()
        case .failure(let unusable):
            object["plan"] = NSNull()
            object["skipped"] = unusable.reason
        }
        return object
    }

    private static func address(_ report: MXCheckReport.AddressReport, now: Date) -> [String: Any] {
        let transcript = report.connection?.transcript
        var object: [String: Any] = [
            "address": report.address.description,
            "connect_failure": nullable(report.connectFailure),
            "greeting": nullable(transcript?.greeting),
            "before_tls": nullable(transcript?.beforeTLS.map(capabilities)),
            "starttls_offered": nullable(transcript?.beforeTLS?.startTLS),
            "after_tls": nullable(transcript?.afterTLS.map(capabilities)),
            "requiretls_offered": nullable(transcript?.afterTLS?.requireTLS),
            "interruption": nullable(transcript?.problem ?? report.connection?.interruption),
            "queue_action": report.queueAction,
            "status": report.status.rawValue,
            "problem": nullable(report.problem),
            "warnings": report.warnings,
        ]
        object.merge(session(report.connection, now: now)) { $1 }
        let session = report.connection?.session
        switch session?.verification {
        case .daneVerified?: object["dane"] = "verified"
        case .failed? where (session?.usableTLSARecords ?? 0) > 0: object["dane"] = "mismatch"
        default: object["dane"] = session == nil ? NSNull() : "not_used"
        }
        return object
    }

    private static func mtaSTS(_ sts: MTASTSFindings) -> [String: Any] {
        var record: [String: Any] = [
            "texts": sts.recordTexts, "dnssec": nullable(sts.recordDNSSEC.map(dnssec)), "id": NSNull(), "error": NSNull(),
        ]
        switch sts.record {
        case .found(let id):
            record["status"] = "found"
            record["id"] = id
        case .absent:
            record["status"] = "absent"
        case .failed(let reason):
            record["status"] = "failed"
            record["error"] = reason
        }
        var object: [String: Any] = [
            "record": record,
            "policy_url": sts.policyURL,
            "consulted": sts.notConsulted == nil,
            "not_consulted_because": nullable(sts.notConsulted),
            "applied": nullable(sts.applied.map(cachedPolicy)),
            "hosts": sts.hosts.map { host -> [String: Any] in
                ["name": host.host, "allowed": host.allowed, "certificate_valid": nullable(host.certificateValid),
                 "detail": nullable(host.detail)]
            },
        ]
        switch sts.served {
        case .success(let served)?:
            object["fetched"] = policy(served)
            object["fetch_error"] = NSNull()
        case .failure(let error)?:
            object["fetched"] = NSNull()
            object["fetch_error"] = "\(error)"
        case nil:
            object["fetched"] = NSNull()
            object["fetch_error"] = NSNull()
        }
        switch sts.cache {
        case .unknown:
            object["cache"] = NSNull()
        case .empty(let path):
            object["cache"] = ["path": path, "policy": NSNull(), "error": NSNull()] as [String: Any]
        case .stored(let path, let cached):
            object["cache"] = ["path": path, "policy": cachedPolicy(cached), "error": NSNull()] as [String: Any]
        case .unreadable(let path, let reason):
            object["cache"] = ["path": path, "policy": NSNull(), "error": reason] as [String: Any]
        }
        return object
    }

    private static func policy(_ policy: MTASTSPolicy) -> [String: Any] {
        ["mode": policy.mode.rawValue, "mx": policy.mx, "max_age": policy.maxAge]
    }

    private static func cachedPolicy(_ cached: MTASTSCachedPolicy) -> [String: Any] {
        var object = policy(cached.policy)
        object["id"] = cached.id
        object["fetched_at"] = timestamp(cached.fetched)
        object["expires"] = timestamp(cached.expires)
        return object
    }

    private static func downgradeMemory(_ findings: DowngradeMemoryFindings, report: MXCheckReport) -> [String: Any] {
        let memory = findings.memory
        return [
            "path": nullable(findings.path),
            "error": nullable(findings.readFailure),
            "domain": nullable(memory.flatMap { $0.domains[report.domain] }.map(memoryEntry)),
            "hosts": report.hosts.map { host -> [String: Any] in
                let pin = host.host.memoryPin
                return [
                    "name": host.host.name,
                    "entry": nullable(memory.flatMap { $0.hosts[host.host.name.lowercased()] }.map(memoryEntry)),
                    "pinned_level": nullable(pin?.level.name),
                    "pinned_by": nullable(pin?.by),
                    "applied": pin != nil && host.host.memoryPinNotApplied == nil,
                    "not_applied_because": nullable(host.host.memoryPinNotApplied),
                    "addresses": host.addresses.map { address -> [String: Any] in
                        ["address": address.address.description, "seen_now": nullable(address.observedLevel?.name),
                         "striptls_suspect": address.stripTLSSuspect]
                    },
                ]
            },
        ]
    }

    private static func memoryEntry(_ entry: TLSMemory.Entry) -> [String: Any] {
        [
            "best": entry.best.name,
            "pinned": entry.isPinned,
            "sightings": entry.sightings.map(timestamp),
            "last_contact": timestamp(entry.lastContact),
            "alerted": nullable(entry.alerted?.name),
        ]
    }

    private static func tlsRPT(_ findings: TLSReportFindings) -> [String: Any] {
        [
            "name": findings.owner,
            "dnssec": nullable(findings.dnssec.map(dnssec)),
            "record": nullable(findings.record?.text),
            "mailto": findings.record?.mailAddresses ?? [],
            "error": nullable(findings.lookupFailure),
        ]
    }

    /// "tls", "handshake_failure", "certificates", "verification".
    private static func session(_ connection: TLSCheckConnectionResult?, now: Date) -> [String: Any] {
        let session = connection?.session
        return [
            "tls": nullable(session.map {
                ["version": $0.protocolVersion, "cipher": $0.cipher, "alpn": nullable($0.applicationProtocol)] as [String: Any]
            }),
            "handshake_failure": nullable(connection?.handshakeFailure),
            "certificates": (session?.peerChain ?? []).map { certificate($0, now: now) },
            "verification": nullable(session.map { verification($0.verification) }),
        ]
    }

    private static func capabilities(_ capabilities: TLSCheckCapabilities) -> [String: Any] {
        [
            "lines": capabilities.lines,
            "starttls": capabilities.startTLS,
            "auth_mechanisms": capabilities.authMechanisms,
            "plaintext_logins": capabilities.plaintextLogins,
            "login_disabled": nullable(capabilities.loginDisabled),
            "requiretls": nullable(capabilities.requireTLS),
        ]
    }

    static func certificate(_ certificate: TLSCertificateSummary, now: Date) -> [String: Any] {
        [
            "subject": certificate.subject,
            "issuer": certificate.issuer,
            "dns_names": certificate.dnsNames,
            "ip_addresses": certificate.ipAddresses,
            "not_before": timestamp(certificate.notBefore),
            "not_after": timestamp(certificate.notAfter),
            "days_left": TLSCertificateFindings.daysLeft(until: certificate.notAfter, now: now),
            "sha256": certificate.sha256Fingerprint,
            "public_key_sha256": certificate.publicKeySHA256,
            "public_key": certificate.publicKeyDescription,
        ]
    }

    private static func verification(_ verification: TLSPeerVerification) -> [String: Any] {
        switch verification {
        case .verified(let name):
            return ["result": "verified", "matched_name": nullable(name), "dane_depth": NSNull(), "reason": NSNull()]
        case .daneVerified(let depth, let name):
            return ["result": "dane_verified", "matched_name": nullable(name), "dane_depth": depth, "reason": NSNull()]
        case .failed(let reason):
            return ["result": "failed", "matched_name": NSNull(), "dane_depth": NSNull(), "reason": reason]
        }
    }

    private static func version(_ probe: TLSVersionProbe) -> [String: Any] {
        switch probe.outcome {
        case .accepted(let cipher): return ["result": "accepted", "detail": cipher]
        case .refused(let reason): return ["result": "refused", "detail": reason]
        case .notTested(let reason): return ["result": "not_tested", "detail": reason]
        }
    }

    private static func verdict(_ verdict: TLSCheckVerdict) -> [String: Any] {
        [
            "status": verdict.status.rawValue,
            "exit_code": Int(verdict.status.exitCode),
            "verdict": verdict.summary,
            "problems": verdict.problems,
            "warnings": verdict.warnings,
        ]
    }

    private static func dnssec(_ status: DNSSECStatus) -> String {
        switch status {
        case .secure: return "secure"
        case .insecure: return "insecure"
        case .bogus: return "bogus"
        }
    }

    static func nullable(_ value: Any?) -> Any {
        value ?? NSNull()
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func serialize(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
