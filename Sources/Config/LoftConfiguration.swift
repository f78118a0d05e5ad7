internal import Foundation
internal import POSIXSupport
internal import TOMLKit

/// The whole configuration of a Loft server, read from one TOML file (`/etc/loft/loft.toml` by default;
/// `etc/loft.toml` in the repository is the commented sample) or built by `demo(directory:)`.
///
/// A value returned by `load` or `parse` has passed every check: all paths are absolute, listener
/// addresses are distinct, every listener that uses TLS has a `[tls]` section, and every limit is in range.
public struct LoftConfiguration: Sendable, Equatable {
    /// This server's name, used in greetings and Received headers (`hostname`).
    public var hostname: String
    /// The default mail domain (`domain`, default: `hostname`).
    public var domain: String
    /// Where mail lives: `mail/<domain>/<user>/Maildir` under it unless a user's home says otherwise (`data_dir`).
    public var dataDirectory: String
    /// The user to drop privileges to after binding, or nil to stay who we are (`user`).
    public var user: String?
    /// The `[tls]` section, or nil when no listener uses TLS.
    public var tls: TLSSettings?
    public var auth: AuthSettings
    public var pop3: POP3Settings
    public var imap: IMAPSettings
    public var submission: SubmissionSettings
    /// The `[delivery]` section; `localDomains` defaults to `[domain]` (also when `init` gets nil).
    public var delivery: DeliverySettings
    public var limits: LimitSettings
    /// The `[dns]` section: the validating resolver of outbound delivery.
    public var dns: DNSSettings
    /// The `[outbound_tls]` section: TLS levels of the SMTP client, per destination.
    public var outboundTLS: OutboundTLSSettings
    /// The `[[relay]]` entries: smarthosts for some or all remote domains.
    public var relays: [RelaySettings]
    /// The `[quota]` section: each user's default limits.
    public var quota: QuotaSettings
    /// The `[[listener]]` entries in file order; never empty in a loaded configuration.
    public var listeners: [ListenerConfiguration]
    /// The `[metrics]` section: the Prometheus endpoint, or nil for none.
    public var metrics: MetricsSettings?
    /// The `[mta_sts]` section: the MTA-STS policy an https listener serves for each local domain.
    public var mtaSTS: MTASTSSettings
    /// The absolute path of the file this was read from; nil for the demo and for values built in code.
    public var sourcePath: String?
    /// The `[[dkim]]` keys, in file order (the published ones too, `sign = false`).
    public var dkim: [DKIMKeySettings] = []

    public init(
        hostname: String,
        domain: String? = nil,
        dataDirectory: String,
        user: String? = nil,
        tls: TLSSettings? = nil,
        auth: AuthSettings,
        pop3: POP3Settings = POP3Settings(),
        imap: IMAPSettings = IMAPSettings(),
        submission: SubmissionSettings = SubmissionSettings(),
        delivery: DeliverySettings? = nil,
        limits: LimitSettings = LimitSettings(),
        dns: DNSSettings = DNSSettings(),
        outboundTLS: OutboundTLSSettings = OutboundTLSSettings(),
        relays: [RelaySettings] = [],
        quota: QuotaSettings = QuotaSettings(),
        listeners: [ListenerConfiguration],
        metrics: MetricsSettings? = nil,
        mtaSTS: MTASTSSettings = MTASTSSettings(),
        sourcePath: String? = nil
    ) {
        self.hostname = hostname
        self.domain = domain ?? hostname
        self.dataDirectory = dataDirectory
        self.user = user
        self.tls = tls
        self.auth = auth
        self.pop3 = pop3
        self.imap = imap
        self.submission = submission
        self.delivery = delivery ?? DeliverySettings(localDomains: [self.domain.lowercased()])
        self.limits = limits
        self.dns = dns
        self.outboundTLS = outboundTLS
        self.relays = relays
        self.quota = quota
        self.listeners = listeners
        self.metrics = metrics
        self.mtaSTS = mtaSTS
        self.sourcePath = sourcePath
    }

    /// Reads and checks the configuration file at `path`. Blocking (file I/O).
    ///
    /// - Throws: `ConfigError` naming `path` when the file cannot be read or is not UTF-8, and every
    ///   error `parse(_:path:)` throws.
    public static func load(path: String) throws -> LoftConfiguration {
        try parse(try readText(path: path), path: path)
    }

    /// Checks the configuration `text`, which was read from `path`.
    ///
    /// `path` names the file in error messages exactly as given, and its directory (made absolute against
    /// the current directory) is what relative paths inside the file are resolved against.
    /// - Throws: `ConfigError` for invalid TOML (the first syntax error, with line and column), or one
    ///   `ConfigError` listing every unknown key, wrong type, missing required key and invalid value, in
    ///   file order (`description` has one line for each).
    public static func parse(_ text: String, path: String) throws -> LoftConfiguration {
        if let line = TOMLHeaderCheck.firstBadHeaderLine(text) {
            throw ConfigError(file: path, key: "", problem: "invalid TOML at line \(line): a table header must start with a key name")
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            throw ConfigError(
                file: path, key: "",
                problem: "invalid TOML at line \(position.line), column \(position.column): \(error.description)")
        }
        let absolutePath = ConfigParser.absoluteFilePath(path)
        let parser = ConfigParser(file: path, baseDirectory: ConfigParser.directory(of: absolutePath))
        let configuration = parser.parse(document, sourcePath: absolutePath)
        if let error = parser.problems.combined(text: text) { throw error }
        return configuration
    }

    /// Reads a whole file as UTF-8 text with POSIX calls, so errors say plainly what is wrong.
    private static func readText(path: String) throws -> String {
        func failure(_ problem: String) -> ConfigError { ConfigError(file: path, key: "", problem: problem) }
        let bytes: [UInt8]
        do {
            bytes = try POSIXFile<SystemCallError>.readFile(path) { info in
                guard (info.st_mode & S_IFMT) == S_IFREG else { throw failure("cannot read the file: not a regular file") }
            }.bytes
        } catch let error as SystemCallError {
            throw failure("cannot read the file: \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw failure("the file is not valid UTF-8 text")
        }
        return text
    }
}
