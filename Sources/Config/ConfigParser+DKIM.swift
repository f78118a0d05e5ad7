/// The `[[dkim]]` entries: DKIM keys per domain and selector.
extension ConfigParser {
    func parseDKIM(_ root: TableReader) -> [DKIMKeySettings] {
        guard root.has("dkim"), let entries = attempt({ try root.arrayOfTables("dkim") }) else { return [] }
        var keys: [DKIMKeySettings] = []
        var seen: [String: String] = [:]
        for entry in entries {
            entry.rejectUnknownKeys(known: ["domain", "selector", "algorithm", "key_file", "sign"], into: problems)
            let domain = attempt { try hostName(entry, "domain", required: true) }
            // RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ).
            let selector = attempt { () -> String? in
                let text = try entry.requiredString("selector")
                guard Self.isHostName(text) else {
                    throw entry.error("selector", "must be letters, digits and hyphens in dot-separated labels, like \"loft202612\", got \"\(text)\"")
                }
                return text
            }
            let algorithm = required(entry, "algorithm") { try entry.choice("algorithm", of: DKIMKeySettings.Algorithm.self) }
            let keyFile = attempt { try path(entry, "key_file") }
            let sign = attempt { try entry.bool("sign") } ?? true
            guard let domain, let selector, let algorithm, let keyFile else { continue }
            let name = "\(selector)._domainkey.\(domain.lowercased())"
            if let first = seen[name] {
                problems.record(entry.error("selector", "\(name) is already configured by \(first)"))
                continue
            }
            seen[name] = entry.path
            keys.append(DKIMKeySettings(domain: domain, selector: selector, algorithm: algorithm, keyFile: keyFile, sign: sign))
        }
        return keys
    }
}
