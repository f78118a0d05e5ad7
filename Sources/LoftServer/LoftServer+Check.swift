import Auth
import NIOPosix
import POSIXSupport
import PostgresUsers
import Config
import Logging
import Delivery
import TLS

/// What `LoftServer.init` reads and checks before it touches the data directory or binds a port:
/// shared with `loft serve --check-config`, which stops there.
extension LoftServer {
    /// Checks what the server would load from `configuration` (passwd-file, aliases, every
    /// certificate and key) without starting anything; returns the certificate warnings.
    /// - Throws: `StartupError` naming the key and what is wrong, as starting would.
    public static func check(_ configuration: LoftConfiguration) throws -> [String] {
        try checkUsers(configuration)
        _ = try loadAliases(configuration)
        var warnings: [String] = []
        try ACMESetup.withPlaceholder(configuration) { configuration in
            _ = try makeTLSProviders(configuration) { warnings.append($0) }
        }
        try checkDKIMKeys(configuration) { warnings.append($0) }
        return warnings
    }

    /// What starting needs of the user database: the passwd-file loads, or PostgreSQL's password is at
    /// hand (the database itself is asked at the first login).
    static func checkUsers(_ configuration: LoftConfiguration) throws {
        switch configuration.auth.backend {
        case .passwdFile: _ = try loadPasswdFile(configuration)
        case .postgresql(let settings): _ = try postgresPassword(settings)
        }
    }

    /// The user database `[auth] backend` names: the passwd-file, loaded now, or PostgreSQL, whose
    /// pool connects at the first lookup (a database that is down is a temporary failure then, not a
    /// reason not to start).
    static func makeUsers(_ configuration: LoftConfiguration, logger: Logger) throws -> any UserDatabase {
        switch configuration.auth.backend {
        case .passwdFile:
            return try loadPasswdFile(configuration)
        case .postgresql(let settings):
            var poolLogger = logger
            poolLogger[metadataKey: "service"] = "postgresql"
            return PostgresUserDatabase(
                settings: settings, password: try postgresPassword(settings), defaultDomain: configuration.domain,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: poolLogger)
        }
    }

    static func loadPasswdFile(_ configuration: LoftConfiguration) throws -> PasswdFileUserDatabase {
        do {
            return try PasswdFileUserDatabase(path: configuration.auth.passwdFile, defaultDomain: configuration.domain)
        } catch {
            throw StartupError(description: passwdFileProblem(configuration, error))
        }
    }

    /// `auth.postgresql.password`, or the first line of `password_file`.
    static func postgresPassword(_ settings: PostgresUserSettings) throws -> String? {
        guard let path = settings.passwordFile else { return settings.password }
        do {
            let bytes = try POSIXFile<SystemCallError>.readFile(path).bytes
            return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        } catch {
            throw StartupError(description: "auth.postgresql.password_file: \(error)")
        }
    }

    static func loadAliases(_ configuration: LoftConfiguration) throws -> AliasTable? {
        do {
            return try configuration.submission.aliasesFile.map { try AliasTable(path: $0, defaultDomain: configuration.domain) }
        } catch {
            throw StartupError(description: "submission.aliases_file: \(error)")
        }
    }

    /// One TLS context per protocol: the same certificates everywhere, each with its protocol's
    /// strict-ALPN id. `warn` hears what is wrong with the files once (they are the same for all).
    /// `challenges`: the pending ACME tls-alpn-01 challenges every listener answers.
    static func makeTLSProviders(
        _ configuration: LoftConfiguration, challenges: TLSALPNChallenges? = nil, warn: (String) -> Void
    ) throws -> [ListenerConfiguration.ServiceProtocol: TLSContextProvider] {
        var providers: [ListenerConfiguration.ServiceProtocol: TLSContextProvider] = [:]
        for listener in configuration.listeners where listener.tls != .none && providers[listener.protocol] == nil {
            guard let tls = configuration.tls else {
                throw StartupError(description: "listener \(listener.address): TLS needs a [tls] section")
            }
            let tlsConfiguration = tlsConfiguration(tls, applicationProtocol: listener.protocol.alpnIdentifier)
            do {
                let provider = try TLSContextProvider(configuration: tlsConfiguration, challenges: challenges)
                if providers.isEmpty { provider.current.warnings.forEach(warn) }
                providers[listener.protocol] = provider
            } catch let error as TLSError {
                throw StartupError(description: "tls: \(error)" + fix(for: error))
            } catch {
                throw StartupError(description: "tls: \(error)")
            }
        }
        return providers
    }
}
