import DNS
import Foundation

/// `loft dns` output: the records as a zone-file fragment, and the `--check` report as text or JSON.
public enum DNSRecordRenderer {
    /// Every record, each after a comment saying what it is for; absolute names, so the lines paste into
    /// any zone.
    public static func zone(domain: String, hostname: String, records: [PlannedRecord]) -> String {
        var text = "; DNS records for \(domain), served by the Loft at \(hostname) (loft dns \(domain)).\n"
        text += "; \(hostname) itself needs A and/or AAAA records with this server's public addresses.\n"
        for record in records {
            text += "\n; \(record.purpose)\n"
            text += "\(record.name).\t\(DNSRecordPlan.ttl)\tIN\t\(record.type)\t\(record.data)\n"
        }
        return text
    }

    public static func checkText(_ check: DNSZoneCheck) -> String {
        var text = "DNS check of \(check.domain): \(zoneLine(check.zoneStatus))\n"
        for verdict in check.verdicts {
            let record = "\(verdict.record.name). \(verdict.record.type) \(verdict.record.data)"
            switch verdict.outcome {
            case .correct:
                text += "  ok         \(record)\n"
            case .missing:
                text += "  MISSING    \(record)\n"
                text += "             \(verdict.record.purpose)\n"
            case .different(let difference):
                text += "  DIFFERENT  \(record)\n"
                for published in verdict.published { text += "             published: \(published)\n" }
                text += "             \(difference)\n"
            case .unknown(let reason):
                text += "  UNKNOWN    \(record)\n"
                text += "             \(reason)\n"
            }
        }
        let wrong = check.verdicts.filter { !$0.isCorrect }.count
        text += wrong == 0
            ? "All \(check.verdicts.count) records are published as this server needs them.\n"
            : "\(wrong) of \(check.verdicts.count) records need attention.\n"
        return text
    }

    public static func checkJSON(_ check: DNSZoneCheck) -> String {
        let records: [[String: Any]] = check.verdicts.map { verdict in
            var object: [String: Any] = [
                "name": verdict.record.name, "type": verdict.record.type, "expected": verdict.record.data,
                "published": verdict.published,
            ]
            switch verdict.outcome {
            case .correct: object["verdict"] = "correct"
            case .missing: object["verdict"] = "missing"
            case .different(let difference):
                object["verdict"] = "different"
                object["difference"] = difference
            case .unknown(let reason):
                object["verdict"] = "unknown"
                object["reason"] = reason
            }
            if let status = verdict.dnssec { object["dnssec"] = statusName(status) }
            return object
        }
        var root: [String: Any] = ["domain": check.domain, "records": records, "ok": check.exitCode == 0]
        if let status = check.zoneStatus { root["dnssec"] = statusName(status) }
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func zoneLine(_ status: DNSSECStatus?) -> String {
        switch status {
        case .secure?: return "the zone is DNSSEC-signed and validates"
        case .insecure?: return "the zone is not DNSSEC-signed (DANE needs it)"
        case .bogus(let reason)?: return "DNSSEC validation FAILS (\(reason)): senders that validate cannot reach it"
        case nil: return "DNSSEC status unknown (the MX lookup failed)"
        }
    }

    private static func statusName(_ status: DNSSECStatus) -> String {
        switch status {
        case .secure: return "secure"
        case .insecure: return "insecure"
        case .bogus: return "bogus"
        }
    }
}
