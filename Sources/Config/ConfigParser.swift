internal import Foundation
internal import TOMLKit

/// Turns a parsed TOML document into a `LoftConfiguration`, checking every key, type and value.
/// The first problem found is thrown; unknown keys in a table are reported before its other problems,
/// since a typo in a key name usually explains them.
struct ConfigParser {
    /// The file name used in error messages, as the caller gave it.
    let file: String
    /// Absolute directory that relative paths in the file are resolved against.
    let baseDirectory: String

    func parse(_ document: TOMLTable, sourcePath: String?) throws -> LoftConfiguration {
        let root = TableReader(toml: document, path: "", file: file)
        try root.rejectUnknownKeys(known: [
            "hostname", "domain", "data_dir", "user", "tls", "auth", "pop3", "submission", "delivery", "limits",
            "listener",
        ])
        let hostname = try hostName(root, "hostname", required: true)!
        let domain = try hostName(root, "domain", required: false) ?? hostname
        let dataDirectory = try path(root, "data_dir")
        let user = try root.string("user")
        if user?.isEmpty == true { throw root.error("user", "must not be empty (leave it out to keep the current user)") }
        let tls = try root.table("tls").map(parseTLS)
        let auth = try parseAuth(root)
        let pop3 = try root.table("pop3").map(parsePOP3) ?? POP3Settings()
        let submission = try root.table("submission").map(parseSubmission) ?? SubmissionSettings()
        let delivery = try root.table("delivery").map(parseDelivery)
            ?? DeliverySettings(localDomains: [domain.lowercased()])
        let limits = try root.table("limits").map(parseLimits) ?? LimitSettings()
        let listeners = try parseListeners(root, hasTLS: tls != nil)
        return LoftConfiguration(
            hostname: hostname, domain: domain, dataDirectory: dataDirectory, user: user,
            tls: tls, auth: auth, pop3: pop3, submission: submission, delivery: delivery, limits: limits,
            listeners: listeners, sourcePath: sourcePath)
    }

    // MARK: - Sections

    private func parseTLS(_ section: TableReader) throws -> TLSSettings {
        try section.rejectUnknownKeys(known: ["certificate", "private_key", "min_version", "sni"])
        let certificate = try path(section, "certificate")
        let privateKey = try path(section, "private_key")
        let minVersion = try section.choice("min_version", of: TLSSettings.MinimumVersion.self)
            ?? TLSSettings.defaultMinVersion
        var sni: [SNICertificate] = []
        var seen: [String: String] = [:]  // lowercased hostname -> key path of its first entry
        for entry in try section.arrayOfTables("sni") ?? [] {
            try entry.rejectUnknownKeys(known: ["hostname", "certificate", "private_key"])
            let hostname = try hostName(entry, "hostname", required: true, wildcard: true)!
            if let first = seen[hostname.lowercased()] {
                throw entry.error("hostname", "duplicate hostname \(hostname) (also used by \(first))")
            }
            seen[hostname.lowercased()] = entry.path
            sni.append(SNICertificate(
                hostname: hostname,
                certificate: try path(entry, "certificate"),
                privateKey: try path(entry, "private_key")))
        }
        return TLSSettings(certificate: certificate, privateKey: privateKey, minVersion: minVersion, sni: sni)
    }

    private func parseAuth(_ root: TableReader) throws -> AuthSettings {
        guard let section = try root.table("auth") else {
            throw root.error("auth.passwd_file", "required, but missing")
        }
        try section.rejectUnknownKeys(known: ["passwd_file", "failure_delay", "failure_delay_max"])
        let passwdFile = try path(section, "passwd_file")
        let delay = try section.duration("failure_delay")
        let delayMax = try section.duration("failure_delay_max")
        var auth = AuthSettings(passwdFile: passwdFile)
        if let delay { auth.failureDelay = delay.value }
        if let delayMax { auth.failureDelayMax = delayMax.value }
        if auth.failureDelayMax < auth.failureDelay {
            let delayText = delay?.text ?? DurationText.format(auth.failureDelay)
            let maxText = delayMax.map { "\"\($0.text)\"" } ?? "\(DurationText.format(auth.failureDelayMax)) (the default)"
            throw section.error("failure_delay_max", "must be at least failure_delay (\"\(delayText)\"), got \(maxText)")
        }
        return auth
    }

    private func parsePOP3(_ section: TableReader) throws -> POP3Settings {
        try section.rejectUnknownKeys(known: ["idle_timeout", "max_line_length"])
        var pop3 = POP3Settings()
        if let timeout = try section.duration("idle_timeout") {
            guard timeout.value >= POP3Settings.minimumIdleTimeout else {
                let minimum = DurationText.format(POP3Settings.minimumIdleTimeout)
                throw section.error("idle_timeout", "must be at least \(minimum) (RFC 1939 §3), got \"\(timeout.text)\"")
            }
            pop3.idleTimeout = timeout.value
        }
        if let length = try section.int("max_line_length") {
            let range = POP3Settings.maxLineLengthRange
            guard range.contains(length) else {
                throw section.error(
                    "max_line_length",
                    "must be from \(range.lowerBound) (RFC 2449 §4) to \(range.upperBound) bytes, got \(length)")
            }
            pop3.maxLineLength = length
        }
        return pop3
    }

    private func parseSubmission(_ section: TableReader) throws -> SubmissionSettings {
        try section.rejectUnknownKeys(known: ["max_message_size", "max_recipients", "aliases_file", "idle_timeout"])
        var submission = SubmissionSettings()
        if let size = try section.size("max_message_size") {
            guard size.value >= SubmissionSettings.minimumMaxMessageSize else {
                throw section.error(
                    "max_message_size", "must be at least 64K (RFC 5321 §4.5.3.1.7), got \"\(size.text)\"")
            }
            submission.maxMessageSize = size.value
        }
        if let count = try section.int("max_recipients") {
            let range = SubmissionSettings.maxRecipientsRange
            guard range.contains(count) else {
                throw section.error(
                    "max_recipients",
                    "must be from \(range.lowerBound) (RFC 5321 §4.5.3.1.8) to \(range.upperBound), got \(count)")
            }
            submission.maxRecipients = count
        }
        if try section.string("aliases_file") != nil {
            submission.aliasesFile = try path(section, "aliases_file")
        }
        if let timeout = try section.duration("idle_timeout") {
            guard timeout.value >= SubmissionSettings.minimumIdleTimeout else {
                let minimum = DurationText.format(SubmissionSettings.minimumIdleTimeout)
                throw section.error(
                    "idle_timeout", "must be at least \(minimum) (RFC 5321 §4.5.3.2.7), got \"\(timeout.text)\"")
            }
            submission.idleTimeout = timeout.value
        }
        return submission
    }

    private func parseDelivery(_ section: TableReader) throws -> DeliverySettings {
        try section.rejectUnknownKeys(known: ["local_domains"])
        guard let names = try section.stringArray("local_domains") else {
            throw section.error("local_domains", "required, but missing (list at least one domain)")
        }
        guard !names.isEmpty else { throw section.error("local_domains", "must list at least one domain") }
        var domains: [String] = []
        for (index, name) in names.enumerated() {
            let key = "local_domains[\(index)]"
            guard Self.isHostName(name) else {
                throw section.error(key, "must be a host name like \"example.org\", got \"\(name)\"")
            }
            if let first = domains.firstIndex(of: name.lowercased()) {
                throw section.error(key, "duplicate domain \(name) (also local_domains[\(first)])")
            }
            domains.append(name.lowercased())
        }
        return DeliverySettings(localDomains: domains)
    }

    private func parseLimits(_ section: TableReader) throws -> LimitSettings {
        try section.rejectUnknownKeys(known: [
            "shutdown_grace", "max_connections", "max_connections_per_ip", "max_sessions_per_user_ip",
            "login_timeout", "auth_threads", "disk_threads",
        ])
        var limits = LimitSettings()
        if let grace = try section.duration("shutdown_grace") { limits.shutdownGrace = grace.value }
        func count(_ key: String, in range: ClosedRange<Int>, _ target: inout Int) throws {
            guard let value = try section.int(key) else { return }
            guard range.contains(value) else {
                throw section.error(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
            }
            target = value
        }
        try count("max_connections", in: LimitSettings.countRange, &limits.maxConnections)
        try count("max_connections_per_ip", in: LimitSettings.countRange, &limits.maxConnectionsPerIP)
        try count("max_sessions_per_user_ip", in: LimitSettings.countRange, &limits.maxSessionsPerUserIP)
        try count("auth_threads", in: LimitSettings.threadRange, &limits.authThreads)
        try count("disk_threads", in: LimitSettings.threadRange, &limits.diskThreads)
        if let timeout = try section.duration("login_timeout") {
            guard timeout.value >= LimitSettings.minimumLoginTimeout else {
                let minimum = DurationText.format(LimitSettings.minimumLoginTimeout)
                throw section.error("login_timeout", "must be at least \(minimum), got \"\(timeout.text)\"")
            }
            limits.loginTimeout = timeout.value
        }
        return limits
    }

    private func parseListeners(_ root: TableReader, hasTLS: Bool) throws -> [ListenerConfiguration] {
        let entries = try root.arrayOfTables("listener") ?? []
        guard !entries.isEmpty else {
            throw root.error("listener", "no listeners configured; add at least one [[listener]] section")
        }
        var listeners: [ListenerConfiguration] = []
        var seen: [ListenAddress: String] = [:]  // address -> key path of the listener that has it
        for entry in entries {
            try entry.rejectUnknownKeys(known: ["protocol", "address", "tls", "allow_plaintext_auth"])
            guard let service = try entry.choice("protocol", of: ListenerConfiguration.ServiceProtocol.self) else {
                throw entry.error("protocol", "required, but missing")
            }
            let addressText = try entry.requiredString("address")
            let address: ListenAddress
            do {
                address = try ListenAddress(parsing: addressText)
            } catch {
                throw entry.error("address", "invalid address \"\(addressText)\": \(error.reason)")
            }
            // Port 0 asks the kernel for any free port, so two of them never collide.
            if address.port != 0 {
                if let first = seen[address] {
                    throw entry.error("address", "duplicate address \(address) (also used by \(first))")
                }
                seen[address] = entry.path
            }
            guard let tlsMode = try entry.choice("tls", of: ListenerConfiguration.TLSMode.self) else {
                throw entry.error("tls", "required, but missing")
            }
            if tlsMode != .none && !hasTLS {
                throw entry.error("tls", "\"\(tlsMode.rawValue)\" needs a [tls] certificate and private_key")
            }
            let plaintext = try entry.bool("allow_plaintext_auth") ?? false
            listeners.append(ListenerConfiguration(
                protocol: service, address: address, tls: tlsMode, allowPlaintextAuth: plaintext))
        }
        return listeners
    }

    // MARK: - Values

    /// A required, non-empty path, made absolute against the configuration file's directory.
    private func path(_ table: TableReader, _ name: String) throws -> String {
        Self.absolute(try table.requiredString(name), against: baseDirectory)
    }

    /// A DNS host name (letters, digits, hyphens, dot-separated labels), optionally with a leading `*.`.
    private func hostName(_ table: TableReader, _ name: String, required: Bool, wildcard: Bool = false) throws -> String? {
        guard let text = required ? try table.requiredString(name) : try table.string(name) else { return nil }
        guard Self.isHostName(text, wildcard: wildcard) else { throw table.error(name, "must be a host name like \"mail.example.org\", got \"\(text)\"") }
        return text
    }

    /// Whether `text` is a DNS host name: dot-separated labels of letters, digits and inner hyphens,
    /// optionally after a leading `*.` when `wildcard` is set.
    static func isHostName(_ text: String, wildcard: Bool = false) -> Bool {
        let labels = (wildcard && text.hasPrefix("*.") ? String(text.dropFirst(2)) : text)
            .split(separator: ".", omittingEmptySubsequences: false)
        return text.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// `path` if absolute, else `path` inside `base`; `.` and empty components are dropped. `..` is kept:
    /// removing it by text would be wrong when the directory before it is a symbolic link.
    static func absolute(_ path: String, against base: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        let parts = joined.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// The absolute path of a configuration file given as `path` (relative to the current directory).
    static func absoluteFilePath(_ path: String) -> String {
        absolute(path, against: FileManager.default.currentDirectoryPath)
    }

    /// The directory holding the file at absolute path `file`.
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/"), slash != file.startIndex else { return "/" }
        return String(file[..<slash])
    }
}
