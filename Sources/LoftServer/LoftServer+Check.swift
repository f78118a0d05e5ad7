import Auth
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
        _ = try loadUsers(configuration)
        _ = try loadAliases(configuration)
        var warnings: [String] = []
        _ = try makeTLSProviders(configuration) { warnings.append($0) }
        return warnings
    }

    static func loadUsers(_ configuration: LoftConfiguration) throws -> PasswdFileUserDatabase {
        do {
            return try PasswdFileUserDatabase(path: configuration.auth.passwdFile, defaultDomain: configuration.domain)
        } catch {
            throw StartupError(description: passwdFileProblem(configuration, error))
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
    static func makeTLSProviders(
        _ configuration: LoftConfiguration, warn: (String) -> Void
    ) throws -> [ListenerConfiguration.ServiceProtocol: TLSContextProvider] {
        var providers: [ListenerConfiguration.ServiceProtocol: TLSContextProvider] = [:]
        for listener in configuration.listeners where listener.tls != .none && providers[listener.protocol] == nil {
            guard let tls = configuration.tls else {
                throw StartupError(description: "listener \(listener.address): TLS needs a [tls] section")
            }
            let tlsConfiguration = tlsConfiguration(tls, applicationProtocol: listener.protocol.alpnIdentifier)
            do {
                let provider = try TLSContextProvider(configuration: tlsConfiguration)
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
