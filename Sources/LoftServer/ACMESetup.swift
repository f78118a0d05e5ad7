import ACME
import Config
import Foundation
import Logging
import NIOCore
import NIOPosix
import TLS

/// Wiring of `[tls.acme]`: the files under `<data_dir>/acme`, the temporary certificate the listeners start
/// with, and the background manager that obtains and renews the real one and reloads every listener.
enum ACMESetup {
    static func store(_ acme: ACMESettings) -> ACMECertificateStore {
        ACMECertificateStore(directory: acme.directoryPath, accountKeyPath: acme.accountKeyPath, certificatePath: acme.certificatePath)
    }

    /// Before the TLS contexts are built (blocking, at start-up): without a usable stored certificate the
    /// listeners start on a temporary self-signed one. With `user` set and started as root, the directory and
    /// its files are given to that user, who renews later.
    static func prepare(_ configuration: LoftConfiguration, _ acme: ACMESettings, logger: Logger) throws {
        let store = store(acme)
        do {
            try store.prepare()
            // An expired certificate (the CA unreachable for too long) would keep the listeners from starting.
            let leaf = store.currentLeaf()
            if leaf.map({ $0.notAfter.timeIntervalSinceNow < 60 }) ?? true {
                try store.installPlaceholder(names: acme.names)
                logger.warning(leaf == nil ? "no ACME certificate yet: listeners start on a temporary self-signed certificate"
                                           : "the ACME certificate has expired: listeners start on a temporary self-signed certificate",
                               metadata: ["file": "\(acme.certificatePath)"])
            }
            if let name = configuration.user, geteuid() == 0 {
                let owner = try RunUser.named(name)
                for path in [acme.directoryPath, acme.certificatePath, acme.accountKeyPath] where access(path, F_OK) == 0 {
                    guard chown(path, owner.uid, owner.gid) == 0 else {
                        throw ACMEFileError.system(operation: "give to user \(name)", path: path, errno: errno)
                    }
                }
            }
        } catch {
            throw LoftServer.StartupError(description: "tls.acme: \(error)")
        }
    }

    /// Runs `body` (the certificate check of `loft serve --check-config`) on `configuration`, or, with
    /// `[tls.acme]` and no certificate obtained yet, on a copy that uses a temporary self-signed one in its
    /// place, as `loft serve` would start. `data_dir` is not touched.
    static func withPlaceholder(_ configuration: LoftConfiguration, _ body: (LoftConfiguration) throws -> Void) throws {
        guard var tls = configuration.tls, let acme = tls.acme, access(acme.certificatePath, F_OK) != 0 else {
            return try body(configuration)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-check-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let placeholder = ACMECertificateStore(directory: directory, accountKeyPath: directory + "/account.key",
                                               certificatePath: directory + "/certificate.pem")
        do {
            try placeholder.prepare()
            try placeholder.installPlaceholder(names: acme.names)
        } catch {
            throw LoftServer.StartupError(description: "tls.acme: \(error)")
        }
        func replaced(_ path: String) -> String { path == acme.certificatePath ? placeholder.certificatePath : path }
        tls.certificate = replaced(tls.certificate)
        tls.privateKey = replaced(tls.privateKey)
        for index in tls.sni.indices {
            tls.sni[index].certificate = replaced(tls.sni[index].certificate)
            tls.sni[index].privateKey = replaced(tls.sni[index].privateKey)
        }
        var copy = configuration
        copy.tls = tls
        try body(copy)
    }

    /// The manager that keeps the certificate current; `reload` puts a new one on every listener.
    static func makeManager(
        _ acme: ACMESettings, challenges: TLSALPNChallenges, http01: HTTP01Challenges, group: any EventLoopGroup,
        threadPool: NIOThreadPool, logger: Logger, status: ACMECertificateStatus, reload: @escaping @Sendable () async -> Void
    ) throws -> ACMECertificateManager {
        let tlsContext: TLSClientContext
        do {
            tlsContext = try TLSClientContext(configuration: TLSClientConfiguration(extraTrustAnchorsFile: acme.caFile))
        } catch {
            throw LoftServer.StartupError(description: "tls.acme.ca_file: \(error)")
        }
        let responder: any ACMEChallengeResponder = switch acme.challenge {
        case .tlsALPN01: TLSALPNChallengeResponder(challenges: challenges)
        case .http01: http01
        }
        let request = ACMEOrderRequest(
            directoryURL: acme.directory, contact: acme.contact, names: acme.names,
            keyType: acme.keyType == .rsa2048 ? .rsa2048 : .ecdsaP256)
        let issuer = ACMEIssuer(http: ACMEHTTPClient(tlsContext: tlsContext, group: group), threadPool: threadPool, logger: logger)
        return ACMECertificateManager(
            request: request, store: store(acme), issuer: issuer, responder: responder, threadPool: threadPool, logger: logger,
            status: status
        ) { _ in await reload() }
    }
}
