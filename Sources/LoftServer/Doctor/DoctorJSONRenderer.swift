import Foundation

/// `loft doctor --json`: the report as one JSON object. Key names are stable (README, "Check the whole
/// server"); a value that does not apply is `null`, never left out. A listener's `probe` is exactly the
/// object `loft check-tls --json` prints for it.
public enum DoctorJSONRenderer {
    public static func render(_ report: DoctorReport) -> String {
        let json = TLSCheckJSONRenderer.self
        let now = report.checkedAt
        let object: [String: Any] = [
            "settings": report.settingsSource,
            "hostname": report.hostname,
            "checked_at": json.timestamp(now),
            "status": report.exitCode == 0 ? "ok" : "broken",
            "exit_code": Int(report.exitCode),
            "problems": report.problems,
            "warnings": report.warnings,
            "startup_problems": report.startupProblems,
            "certificates": report.certificates.map { certificate -> [String: Any] in
                [
                    "sni_hostname": json.nullable(certificate.sniHostname),
                    "certificate_file": certificate.certificatePath,
                    "private_key_file": certificate.privateKeyPath,
                    "key_matches": json.nullable(certificate.keyMatches),
                    "covers_hostname": json.nullable(certificate.coversHostname),
                    "chain": certificate.chain.map { json.certificate($0, now: now) },
                    "problems": certificate.problems,
                    "warnings": certificate.warnings,
                ]
            },
            "listeners": report.listeners.map { listener -> [String: Any] in
                let configuration = listener.configuration
                var object: [String: Any] = [
                    "protocol": configuration.protocol.rawValue,
                    "address": configuration.address.description,
                    "port": configuration.address.port,
                    "tls": configuration.tls.rawValue,
                    "min_tls_version": json.nullable(listener.minimumTLSVersion?.rawValue),
                    "allow_plaintext_auth": configuration.allowPlaintextAuth,
                    "proxy_protocol": configuration.trustedProxies != nil,
                    "probe": json.nullable(listener.probe.map(json.object)),
                    "problems": listener.problems,
                    "warnings": listener.warnings,
                ]
                object.merge(portState(listener.port)) { $1 }
                return object
            },
            "data_dir": [
                "path": report.dataDirectory.path,
                "checked_as": json.nullable(report.dataDirectory.checkedAs),
                "problems": report.dataDirectory.problems,
                "warnings": report.dataDirectory.warnings,
            ] as [String: Any],
            "dns": [
                "forwarders": report.dns.forwarders,
                "trust_anchor_zones": report.dns.trustAnchorZones,
                "validation": report.dns.validation.rawValue,
                "probed_name": json.nullable(report.dns.probedName),
                "answer": json.nullable(report.dns.answer),
                "problems": report.dns.problems,
                "warnings": report.dns.warnings,
            ] as [String: Any],
            "outbound_tls": [
                "default_level": report.outbound.defaultLevel.rawValue,
                "policies": report.outbound.policies.map { policy -> [String: Any] in
                    ["domain": policy.domain, "level": policy.level.rawValue, "match": policy.match,
                     "fingerprints": policy.fingerprints]
                },
                "problems": report.outbound.problems,
                "warnings": report.outbound.warnings,
            ] as [String: Any],
        ]
        return json.serialize(object)
    }

    /// `port_state` ("any_free_port", "free", "served_by_loft", "in_use", "in_use_hidden"), `pid`, `program`.
    private static func portState(_ state: DoctorPortState) -> [String: Any] {
        switch state {
        case .anyFreePort: return ["port_state": "any_free_port", "pid": NSNull(), "program": NSNull()]
        case .free: return ["port_state": "free", "pid": NSNull(), "program": NSNull()]
        case .servedByLoft(let pid): return ["port_state": "served_by_loft", "pid": Int(pid), "program": "loft"]
        case .inUse(let program, let pid): return ["port_state": "in_use", "pid": Int(pid), "program": program]
        case .listeningOwnerHidden: return ["port_state": "in_use_hidden", "pid": NSNull(), "program": NSNull()]
        }
    }
}
