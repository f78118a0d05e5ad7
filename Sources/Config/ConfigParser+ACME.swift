internal import Foundation

extension ConfigParser {
    /// `[tls.acme]`. `terms_agreed = true` is required: Loft never agrees to a CA's terms on its own.
    func parseACME(_ section: TableReader, hostname: String, dataDirectory: String) -> ACMESettings? {
        section.rejectUnknownKeys(
            known: ["directory", "contact", "names", "extra_names", "key_type", "challenge", "ca_file", "terms_agreed"],
            into: problems)
        let directory = attempt { try section.string("directory") } ?? ACMESettings.letsEncryptDirectory
        let url = URL(string: directory)
        if url?.scheme?.lowercased() != "https" || (url?.host ?? "").isEmpty {
            problems.record(section.error("directory", "must be an https:// URL of an ACME directory, got \"\(directory)\""))
        }
        let contact = attempt { try section.stringArray("contact") } ?? []
        for address in contact where !address.hasPrefix("mailto:") || !address.contains("@") {
            problems.record(section.error("contact", "entries must be \"mailto:someone@example.org\", got \"\(address)\""))
        }
        var names = attempt { try section.stringArray("names") } ?? (hostname.isEmpty ? [] : [hostname])
        names += attempt { try section.stringArray("extra_names") } ?? []
        for name in names where !Self.isHostName(name) {
            problems.record(section.error(section.has("names") ? "names" : "extra_names",
                                          "must be host names like \"mail.example.org\" (no wildcards), got \"\(name)\""))
        }
        if names.isEmpty { problems.record(section.error("names", "must name at least one host")) }
        var unique: [String] = []
        for name in names where !unique.contains(name.lowercased()) { unique.append(name.lowercased()) }
        let keyType = attempt { try section.choice("key_type", of: ACMESettings.KeyType.self) } ?? .ecdsaP256
        let challenge = attempt { try section.choice("challenge", of: ACMESettings.Challenge.self) } ?? .tlsALPN01
        let caFile = section.has("ca_file") ? attempt { try path(section, "ca_file") } : nil
        let agreed = attempt { try section.bool("terms_agreed") }
        if agreed != true, !(section.has("terms_agreed") && agreed == nil) {
            problems.record(section.error(
                "terms_agreed", "must be true: read the CA's terms of service, then set terms_agreed = true"))
        }
        return ACMESettings(directory: directory, contact: contact, names: unique, keyType: keyType, challenge: challenge,
                            caFile: caFile, directoryPath: dataDirectory + "/acme")
    }
}
