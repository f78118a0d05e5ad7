internal import Foundation
internal import TOMLKit

/// Turns a parsed TOML document into a `LoftConfiguration`, checking every key, type and value.
/// A key whose value has a problem is recorded in `problems` and left out, and parsing goes on, so one run
/// reports every mistake; a problem that follows from another one (a key missing because its name is
/// misspelt, a listener's TLS when `[tls]` itself is broken) is not reported twice.
struct ConfigParser {
    /// The file name used in error messages, as the caller gave it.
    let file: String
    /// Absolute directory that relative paths in the file are resolved against.
    let baseDirectory: String
    /// Every problem found; the returned configuration is only usable when this stays empty.
    let problems = ConfigProblems()

    func parse(_ document: TOMLTable, sourcePath: String?) -> LoftConfiguration {
        let root = TableReader(toml: document, path: "", file: file)
        root.rejectUnknownKeys(known: [
            "hostname", "domain", "data_dir", "user", "tls", "auth", "pop3", "imap", "submission", "delivery", "limits",
            "listener", "dns", "outbound_tls", "relay", "quota", "metrics", "mta_sts", "dkim",
        ], into: problems)
        let hostname = attempt { try hostName(root, "hostname", required: true) } ?? ""
        let domain = attempt { try hostName(root, "domain", required: false) } ?? hostname
        let dataDirectory = attempt { try path(root, "data_dir") } ?? ""
        let user = attempt { try root.string("user") }
        if user?.isEmpty == true {
            problems.record(root.error("user", "must not be empty (leave it out to keep the current user)"))
        }
        let tls = attempt { try root.table("tls") }.flatMap { parseTLS($0, hostname: hostname, dataDirectory: dataDirectory) }
        let auth = parseAuth(root)
        let pop3 = attempt { try root.table("pop3") }.map(parsePOP3) ?? POP3Settings()
        let imap = attempt { try root.table("imap") }.map(parseIMAP) ?? IMAPSettings()
        let submission = attempt { try root.table("submission") }.map(parseSubmission) ?? SubmissionSettings()
        let delivery = attempt { try root.table("delivery") }.map { parseDelivery($0, domain: domain) }
            ?? DeliverySettings(localDomains: [domain.lowercased()])
        let limits = attempt { try root.table("limits") }.map(parseLimits) ?? LimitSettings()
        let dns = attempt { try root.table("dns") }.map(parseDNS) ?? DNSSettings.standard
        let outboundTLS = attempt { try root.table("outbound_tls") }.map(parseOutboundTLS) ?? OutboundTLSSettings()
        let relays = parseRelays(root)
        let quota = attempt { try root.table("quota") }.map(parseQuota) ?? QuotaSettings()
        // A broken [tls] is reported for itself; the listeners that need it are not blamed again.
        let listeners = parseListeners(root, hasTLS: root.has("tls"))
        let metrics = attempt { try root.table("metrics") }.map { parseMetrics($0, listeners: listeners) }
        let mtaSTS = attempt { try root.table("mta_sts") }.map { parseMTASTS($0) } ?? MTASTSSettings()
        var configuration = LoftConfiguration(
            hostname: hostname, domain: domain, dataDirectory: dataDirectory, user: user,
            tls: tls, auth: auth, pop3: pop3, imap: imap, submission: submission, delivery: delivery, limits: limits,
            dns: dns, outboundTLS: outboundTLS, relays: relays, quota: quota, listeners: listeners,
            metrics: metrics, mtaSTS: mtaSTS, sourcePath: sourcePath)
        configuration.dkim = parseDKIM(root)
        return configuration
    }

    /// `read`'s value, or nil with its problem recorded.
    func attempt<T>(_ read: () throws -> T?) -> T? {
        do {
            return try read()
        } catch let error as ConfigError {
            problems.record(error, missing: error.problem.hasPrefix("required, but missing"))
        } catch {
            problems.record(ConfigError(file: file, key: "", problem: "\(error)"))
        }
        return nil
    }

    /// `read`'s value; a key that is absent is recorded as required.
    func required<T>(_ table: TableReader, _ name: String, _ read: () throws -> T?) -> T? {
        guard table.has(name) else {
            problems.record(table.error(name, "required, but missing"), missing: true)
            return nil
        }
        return attempt(read)
    }

    /// Whether `name` is in `table` but was refused (so checks that compare it with others are skipped).
    private func refused(_ table: TableReader, _ name: String, _ value: Any?) -> Bool {
        table.has(name) && value == nil
    }

    // MARK: - Sections

    /// `[tls]`. With `[tls.acme]`, `certificate` and `private_key` may be left out: the ACME certificate is
    /// then the default one; otherwise it is chosen by SNI for its names.
    private func parseTLS(_ section: TableReader, hostname: String, dataDirectory: String) -> TLSSettings? {
        section.rejectUnknownKeys(known: ["certificate", "private_key", "min_version", "sni", "acme", "next_key"], into: problems)
        let acme = attempt { try section.table("acme") }.flatMap { parseACME($0, hostname: hostname, dataDirectory: dataDirectory) }
        let staticDefault = acme == nil || section.has("certificate") || section.has("private_key")
        let certificate = staticDefault ? attempt { try path(section, "certificate") } : acme?.certificatePath
        let privateKey = staticDefault ? attempt { try path(section, "private_key") } : acme?.certificatePath
        let nextKey = section.has("next_key") ? attempt { try path(section, "next_key") } : nil
        let minVersion = attempt { try section.choice("min_version", of: TLSSettings.MinimumVersion.self) }
            ?? TLSSettings.defaultMinVersion
        var sni: [SNICertificate] = []
        var seen: [String: String] = [:]  // lowercased hostname -> key path of its first entry
        for entry in attempt({ try section.arrayOfTables("sni") }) ?? [] {
            entry.rejectUnknownKeys(known: ["hostname", "certificate", "private_key"], into: problems)
            let hostname = attempt { try hostName(entry, "hostname", required: true, wildcard: true) }
            if let hostname {
                if let first = seen[hostname.lowercased()] {
                    problems.record(entry.error("hostname", "duplicate hostname \(hostname) (also used by \(first))"))
                } else {
                    seen[hostname.lowercased()] = entry.path
                }
            }
            let entryCertificate = attempt { try path(entry, "certificate") }
            let entryKey = attempt { try path(entry, "private_key") }
            if let hostname, let entryCertificate, let entryKey {
                sni.append(SNICertificate(hostname: hostname, certificate: entryCertificate, privateKey: entryKey))
            }
        }
        if let acme {
            for name in acme.names {
                if let entry = seen[name] {
                    problems.record(section.error("acme.names", "\(name) has a static certificate in \(entry); list it in one place only"))
                } else if staticDefault {
                    sni.append(SNICertificate(hostname: name, certificate: acme.certificatePath, privateKey: acme.certificatePath))
                }
            }
        }
        guard let certificate, let privateKey else { return nil }
        return TLSSettings(certificate: certificate, privateKey: privateKey, minVersion: minVersion, sni: sni, nextKey: nextKey, acme: acme)
    }

    private func parseAuth(_ root: TableReader) -> AuthSettings {
        var auth = AuthSettings(passwdFile: "")
        guard let section = attempt({ try root.table("auth") }) else {
            if !root.has("auth") { problems.record(root.error("auth.passwd_file", "required, but missing"), missing: true) }
            return auth
        }
        section.rejectUnknownKeys(
            known: ["backend", "passwd_file", "postgresql", "failure_delay", "failure_delay_max"], into: problems)
        parseUserBackend(section, into: &auth)
        let delay = attempt { try section.duration("failure_delay") }
        let delayMax = attempt { try section.duration("failure_delay_max") }
        if refused(section, "failure_delay", delay) || refused(section, "failure_delay_max", delayMax) { return auth }
        if let delay { auth.failureDelay = delay.value }
        if let delayMax { auth.failureDelayMax = delayMax.value }
        if auth.failureDelayMax < auth.failureDelay {
            let delayText = delay?.text ?? DurationText.format(auth.failureDelay)
            let maxText = delayMax.map { "\"\($0.text)\"" } ?? "\(DurationText.format(auth.failureDelayMax)) (the default)"
            problems.record(section.error(
                "failure_delay_max", "must be at least failure_delay (\"\(delayText)\"), got \(maxText)"))
        }
        return auth
    }

    private func parsePOP3(_ section: TableReader) -> POP3Settings {
        section.rejectUnknownKeys(known: ["idle_timeout", "max_line_length"], into: problems)
        var pop3 = POP3Settings()
        if let timeout = attempt({ try section.duration("idle_timeout") }) {
            if timeout.value >= POP3Settings.minimumIdleTimeout {
                pop3.idleTimeout = timeout.value
            } else {
                let minimum = DurationText.format(POP3Settings.minimumIdleTimeout)
                problems.record(section.error(
                    "idle_timeout", "must be at least \(minimum) (RFC 1939 §3), got \"\(timeout.text)\""))
            }
        }
        if let length = attempt({ try section.int("max_line_length") }) {
            let range = POP3Settings.maxLineLengthRange
            if range.contains(length) {
                pop3.maxLineLength = length
            } else {
                problems.record(section.error(
                    "max_line_length",
                    "must be from \(range.lowerBound) (RFC 2449 §4) to \(range.upperBound) bytes, got \(length)"))
            }
        }
        return pop3
    }

    private func parseIMAP(_ section: TableReader) -> IMAPSettings {
        section.rejectUnknownKeys(known: ["idle_timeout", "idle_keepalive", "max_line_length", "max_folders", "max_compressed_sessions",
                                          "metadata_max_value_size", "metadata_max_entries", "notify_max_mailboxes",
                                          "notify_max_pending"], into: problems)
        var imap = IMAPSettings()
        if let timeout = attempt({ try section.duration("idle_timeout") }) {
            if timeout.value >= IMAPSettings.minimumIdleTimeout {
                imap.idleTimeout = timeout.value
            } else {
                let minimum = DurationText.format(IMAPSettings.minimumIdleTimeout)
                problems.record(section.error(
                    "idle_timeout", "must be at least \(minimum) (RFC 3501 §5.4), got \"\(timeout.text)\""))
            }
        }
        if let keepalive = attempt({ try section.duration("idle_keepalive") }) {
            let range = IMAPSettings.idleKeepaliveRange
            if range.contains(keepalive.value) {
                imap.idleKeepalive = keepalive.value
            } else {
                problems.record(section.error(
                    "idle_keepalive",
                    "must be from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound)), got \"\(keepalive.text)\""))
            }
        }
        if let length = attempt({ try section.int("max_line_length") }) {
            let range = IMAPSettings.maxLineLengthRange
            if range.contains(length) {
                imap.maxLineLength = length
            } else {
                problems.record(section.error(
                    "max_line_length",
                    "must be from \(range.lowerBound) (RFC 7162 §4) to \(range.upperBound) bytes, got \(length)"))
            }
        }
        if let folders = attempt({ try section.int("max_folders") }) {
            let range = IMAPSettings.maxFoldersRange
            if range.contains(folders) {
                imap.maxFolders = folders
            } else {
                problems.record(section.error("max_folders", "must be from \(range.lowerBound) to \(range.upperBound), got \(folders)"))
            }
        }
        if let sessions = attempt({ try section.int("max_compressed_sessions") }) {
            let range = IMAPSettings.maxCompressedSessionsRange
            if range.contains(sessions) {
                imap.maxCompressedSessions = sessions
            } else {
                problems.record(section.error(
                    "max_compressed_sessions",
                    "must be from \(range.lowerBound) (COMPRESS not offered) to \(range.upperBound), got \(sessions)"))
            }
        }
        if let size = attempt({ try section.size("metadata_max_value_size") }) {
            let range = IMAPSettings.metadataMaxValueSizeRange
            if range.contains(size.value) {
                imap.metadataMaxValueSize = size.value
            } else {
                problems.record(section.error("metadata_max_value_size", "must be from 1K to 64K, got \"\(size.text)\""))
            }
        }
        if let entries = attempt({ try section.int("metadata_max_entries") }) {
            let range = IMAPSettings.metadataMaxEntriesRange
            if range.contains(entries) {
                imap.metadataMaxEntries = entries
            } else {
                problems.record(section.error(
                    "metadata_max_entries", "must be from \(range.lowerBound) to \(range.upperBound), got \(entries)"))
            }
        }
        for (key, range, apply) in [
            ("notify_max_mailboxes", IMAPSettings.notifyMaxMailboxesRange, { (value: Int) in imap.notifyMaxMailboxes = value }),
            ("notify_max_pending", IMAPSettings.notifyMaxPendingRange, { (value: Int) in imap.notifyMaxPending = value }),
        ] {
            guard let value = attempt({ try section.int(key) }) else { continue }
            if range.contains(value) {
                apply(value)
            } else {
                problems.record(section.error(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(value)"))
            }
        }
        return imap
    }

    private func parseSubmission(_ section: TableReader) -> SubmissionSettings {
        section.rejectUnknownKeys(
            known: ["max_message_size", "max_recipients", "aliases_file", "idle_timeout"], into: problems)
        var submission = SubmissionSettings()
        if let size = attempt({ try section.size("max_message_size") }) {
            if size.value >= SubmissionSettings.minimumMaxMessageSize {
                submission.maxMessageSize = size.value
            } else {
                problems.record(section.error(
                    "max_message_size", "must be at least 64K (RFC 5321 §4.5.3.1.7), got \"\(size.text)\""))
            }
        }
        if let count = attempt({ try section.int("max_recipients") }) {
            let range = SubmissionSettings.maxRecipientsRange
            if range.contains(count) {
                submission.maxRecipients = count
            } else {
                problems.record(section.error(
                    "max_recipients",
                    "must be from \(range.lowerBound) (RFC 5321 §4.5.3.1.8) to \(range.upperBound), got \(count)"))
            }
        }
        if section.has("aliases_file"), let aliases = attempt({ try path(section, "aliases_file") }) {
            submission.aliasesFile = aliases
        }
        if let timeout = attempt({ try section.duration("idle_timeout") }) {
            if timeout.value >= SubmissionSettings.minimumIdleTimeout {
                submission.idleTimeout = timeout.value
            } else {
                let minimum = DurationText.format(SubmissionSettings.minimumIdleTimeout)
                problems.record(section.error(
                    "idle_timeout", "must be at least \(minimum) (RFC 5321 §4.5.3.2.7), got \"\(timeout.text)\""))
            }
        }
        return submission
    }

    /// `[delivery]`; `local_domains` defaults to `[domain]`.
    private func parseDelivery(_ section: TableReader, domain: String) -> DeliverySettings {
        section.rejectUnknownKeys(known: ["local_domains"] + Self.queueKeys, into: problems)
        var delivery = DeliverySettings(localDomains: [domain.lowercased()])
        if let names = attempt({ try section.stringArray("local_domains") }) {
            if names.isEmpty { problems.record(section.error("local_domains", "must list at least one domain")) }
            var domains: [String] = []
            for (index, name) in names.enumerated() {
                let key = "local_domains[\(index)]"
                guard Self.isHostName(name) else {
                    problems.record(section.error(key, "must be a host name like \"example.org\", got \"\(name)\""))
                    continue
                }
                if let first = domains.firstIndex(of: name.lowercased()) {
                    problems.record(section.error(key, "duplicate domain \(name) (also local_domains[\(first)])"))
                    continue
                }
                domains.append(name.lowercased())
            }
            if !domains.isEmpty { delivery.localDomains = domains }
        }
        parseQueue(section, into: &delivery)
        return delivery
    }

    private func parseLimits(_ section: TableReader) -> LimitSettings {
        section.rejectUnknownKeys(known: [
            "shutdown_grace", "max_connections", "max_connections_per_ip", "max_sessions_per_user_ip",
            "login_timeout", "auth_threads", "disk_threads", "proxy_header_timeout",
        ], into: problems)
        var limits = LimitSettings()
        if let grace = attempt({ try section.duration("shutdown_grace") }) { limits.shutdownGrace = grace.value }
        func count(_ key: String, in range: ClosedRange<Int>, _ target: inout Int) {
            guard let value = attempt({ try section.int(key) }) else { return }
            guard range.contains(value) else {
                problems.record(section.error(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(value)"))
                return
            }
            target = value
        }
        count("max_connections", in: LimitSettings.countRange, &limits.maxConnections)
        count("max_connections_per_ip", in: LimitSettings.countRange, &limits.maxConnectionsPerIP)
        count("max_sessions_per_user_ip", in: LimitSettings.countRange, &limits.maxSessionsPerUserIP)
        count("auth_threads", in: LimitSettings.threadRange, &limits.authThreads)
        count("disk_threads", in: LimitSettings.threadRange, &limits.diskThreads)
        if let timeout = attempt({ try section.duration("login_timeout") }) {
            if timeout.value >= LimitSettings.minimumLoginTimeout {
                limits.loginTimeout = timeout.value
            } else {
                let minimum = DurationText.format(LimitSettings.minimumLoginTimeout)
                problems.record(section.error("login_timeout", "must be at least \(minimum), got \"\(timeout.text)\""))
            }
        }
        if let timeout = attempt({ try section.duration("proxy_header_timeout") }) {
            let range = LimitSettings.proxyHeaderTimeoutRange
            if range.contains(timeout.value) {
                limits.proxyHeaderTimeout = timeout.value
            } else {
                problems.record(section.error(
                    "proxy_header_timeout",
                    "must be from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound)), got \"\(timeout.text)\""))
            }
        }
        return limits
    }

    private func parseListeners(_ root: TableReader, hasTLS: Bool) -> [ListenerConfiguration] {
        var entries: [TableReader] = []
        if root.has("listener") {
            // A `listener` of the wrong type is reported for itself, not again as "no listeners".
            guard let found = attempt({ try root.arrayOfTables("listener") }) else { return [] }
            entries = found
        }
        guard !entries.isEmpty else {
            problems.record(
                root.error("listener", "no listeners configured; add at least one [[listener]] section"), missing: true)
            return []
        }
        var listeners: [ListenerConfiguration] = []
        var seen: [ListenAddress: String] = [:]  // address -> key path of the listener that has it
        for entry in entries {
            entry.rejectUnknownKeys(
                known: ["protocol", "address", "tls", "allow_plaintext_auth", "withhold_capabilities", "proxy_protocol", "proxy_trusted"],
                into: problems)
            let service = required(entry, "protocol") {
                try entry.choice("protocol", of: ListenerConfiguration.ServiceProtocol.self)
            }
            var address: ListenAddress?
            if let addressText = attempt({ try entry.requiredString("address") }) {
                do {
                    address = try ListenAddress(parsing: addressText)
                } catch {
                    problems.record(entry.error("address", "invalid address \"\(addressText)\": \(error.reason)"))
                }
            }
            // Port 0 asks the kernel for any free port, so two of them never collide.
            if let address, address.port != 0 {
                if let first = seen[address] {
                    problems.record(entry.error("address", "duplicate address \(address) (also used by \(first))"))
                } else {
                    seen[address] = entry.path
                }
            }
            let tlsMode = required(entry, "tls") { try entry.choice("tls", of: ListenerConfiguration.TLSMode.self) }
            if let tlsMode, tlsMode != .none, !hasTLS, service != .http {
                problems.record(entry.error("tls", "\"\(tlsMode.rawValue)\" needs a [tls] certificate and private_key"))
            }
            if service == .https, let tlsMode, tlsMode != .implicit {
                problems.record(entry.error(
                    "tls", "an https listener needs tls = \"implicit\" (HTTPS is TLS from the first byte), got \"\(tlsMode.rawValue)\""))
            }
            if service == .http, let tlsMode, tlsMode != .none {
                problems.record(entry.error("tls", "an http listener (ACME http-01 challenges, redirects to HTTPS) must have tls = \"none\""))
            }
            let plaintext = attempt { try entry.bool("allow_plaintext_auth") } ?? false
            if service == .https, entry.has("allow_plaintext_auth") {
                problems.record(entry.error("allow_plaintext_auth", "an https listener takes no passwords; remove the key"))
            }
            let withheld = withheldCapabilities(entry, service: service)
            let trustedProxies = trustedProxies(entry)
            if service == .http, trustedProxies != nil {
                problems.record(entry.error("proxy_protocol", "an http listener does not read PROXY headers; remove it"))
            }
            if let service, let address, let tlsMode {
                listeners.append(ListenerConfiguration(
                    protocol: service, address: address, tls: tlsMode, allowPlaintextAuth: plaintext,
                    withheldCapabilities: withheld, trustedProxies: trustedProxies))
            }
        }
        return listeners
    }

    /// `withhold_capabilities = ["QRESYNC", ...]`: IMAP extensions a listener does not offer.
    private func withheldCapabilities(_ entry: TableReader, service: ListenerConfiguration.ServiceProtocol?) -> Set<String> {
        guard let names = attempt({ try entry.stringArray("withhold_capabilities") }) else { return [] }
        guard service == .imap else {
            problems.record(entry.error("withhold_capabilities", "only an imap listener has capabilities to withhold"))
            return []
        }
        var withheld: Set<String> = []
        for name in names.map({ $0.uppercased() }) {
            guard ListenerConfiguration.withholdableIMAPCapabilities.contains(name) else {
                let known = ListenerConfiguration.withholdableIMAPCapabilities.sorted().joined(separator: ", ")
                problems.record(entry.error("withhold_capabilities", "\"\(name)\" is not an IMAP extension Loft can withhold (one of: \(known))"))
                continue
            }
            withheld.insert(name)
        }
        return withheld
    }

    /// `proxy_protocol = true` with `proxy_trusted = ["10.0.0.5", "10.1.0.0/16"]`: the listener expects a
    /// PROXY protocol header from those peers only; nil when `proxy_protocol` is off.
    private func trustedProxies(_ entry: TableReader) -> [IPNetwork]? {
        let enabled = attempt { try entry.bool("proxy_protocol") }
        let texts = attempt { try entry.stringArray("proxy_trusted") }
        guard enabled == true else {
            if texts != nil, !refused(entry, "proxy_protocol", enabled) {
                problems.record(entry.error("proxy_trusted", "has no effect without proxy_protocol = true on this listener"))
            }
            return nil
        }
        guard let texts else {
            if !entry.has("proxy_trusted") {
                problems.record(entry.error(
                    "proxy_trusted", #"required with proxy_protocol = true: the load balancers' addresses, like ["10.0.0.5", "10.1.0.0/16"]"#))
            }
            return nil
        }
        guard !texts.isEmpty else {
            problems.record(entry.error("proxy_trusted", "must list at least one address or network"))
            return nil
        }
        var networks: [IPNetwork] = []
        for (index, text) in texts.enumerated() {
            do {
                networks.append(try IPNetwork(parsing: text))
            } catch {
                problems.record(entry.error("proxy_trusted[\(index)]", "\"\(text)\" \(error.reason)"))
            }
        }
        return networks.count == texts.count ? networks : nil
    }

    // MARK: - Values

    /// A required, non-empty path, made absolute against the configuration file's directory.
    func path(_ table: TableReader, _ name: String) throws -> String {
        Self.absolute(try table.requiredString(name), against: baseDirectory)
    }

    /// A DNS host name (letters, digits, hyphens, dot-separated labels), optionally with a leading `*.`.
    func hostName(_ table: TableReader, _ name: String, required: Bool, wildcard: Bool = false) throws -> String? {
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
