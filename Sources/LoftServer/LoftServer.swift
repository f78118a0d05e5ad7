import ACME
import Auth
import PostgresUsers
#if canImport(Glibc)
import Glibc
#endif
import Config
import LineProtocol
import Logging
import NIOCore
import NIOPosix
import POP3
import SMTP
import Dispatch
import Synchronization
import TLS
import Deflate
import ProxyProtocol
import Delivery
import IMAP
import MailStore

/// The whole `loft` process: every configured listener on one event loop group, the shared
/// Auth and MailStore, graceful shutdown and reload.
public final class LoftServer: Sendable {
    /// A listener as bound: the address may differ from the configured one when port 0 was asked.
    public struct BoundListener: Sendable, CustomStringConvertible {
        public var configuration: ListenerConfiguration
        public var host: String
        public var port: Int
        public var description: String {
            let host = self.host.contains(":") ? "[\(self.host)]" : self.host
            return "\(configuration.protocol.rawValue) \(host):\(port) tls=\(configuration.tls.rawValue)"
        }

        init(_ configuration: ListenerConfiguration, localAddress: SocketAddress?) {
            self.configuration = configuration
            self.host = localAddress?.ipAddress ?? configuration.address.host
            self.port = localAddress?.port ?? configuration.address.port
        }
    }

    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    private struct Running: @unchecked Sendable {
        // Channels are thread-safe; `any Channel` is Sendable-safe to hand between threads.
        var serverChannels: [any Channel]
    }

    public let configuration: LoftConfiguration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    /// Disk work (Maildir, fsync, rename) and password checks run on pools of their own, so a
    /// flood of logins cannot delay message commits.
    private let diskPool: NIOThreadPool
    private let passwordPool: NIOThreadPool
    /// The outbound queue's blocking work (spool files, DNS lookups), apart from the sessions' disk work.
    private let queuePool: NIOThreadPool
    private let outbound: OutboundQueue
    private let connections: ConnectionRegistry
    private let sessions: SessionCounter
    private let refusalLog = RateLimitedLog()
    private let users: any UserDatabase
    private let penalty: FailurePenalty
    private let pop3Backend: MaildirPOP3Backend
    private let imapBackend: MaildirIMAPBackend
    /// The open mailboxes of every user, shared by IMAP sessions (live sync).
    private let mailboxes: MailboxRegistry
    /// The cap on IMAP sessions compressing at once (`[imap] max_compressed_sessions`); nil: 0.
    private let compressionSlots: CompressionSlots?
    private let submissionBackend: SubmissionBackend
    /// One TLS context per protocol: the same certificates everywhere, but each protocol's
    /// own strict-ALPN id. Shared by every listener (and connection) of that protocol.
    private let tlsProviders: [ListenerConfiguration.ServiceProtocol: TLSContextProvider]
    /// With `[tls.acme]`: keeps the ACME certificate current, in a task started by `start`.
    private let acmeManager: ACMECertificateManager?
    /// The http-01 key authorizations the `http` listeners serve.
    private let http01: HTTP01Challenges
    private let acmeTask = Mutex<Task<Void, Never>?>(nil)
    /// The ACME certificate's expiry, for the metrics endpoint.
    private let acmeStatus = ACMECertificateStatus()
    private let running = Mutex<Running>(Running(serverChannels: []))

    /// Loads users and certificates (blocking, before any event loop work) and checks them.
    public init(configuration: LoftConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        // Before anything makes its counters: they bind to the backend bootstrapped at that moment.
        if configuration.metrics != nil { _ = PrometheusBootstrap.registry }
        self.users = try Self.makeUsers(configuration, logger: logger)
        self.penalty = FailurePenalty(initialDelay: configuration.auth.failureDelay, maximumDelay: configuration.auth.failureDelayMax)
        let aliases = try Self.loadAliases(configuration)
        try DataDirectory.prepare(configuration)
        let authenticator = Authenticator(users: users, penalty: penalty)
        // A mailbox stays open a minute after its last session: reconnecting clients and the
        // second connection of a client find its index in memory.
        let mailboxes = MailboxRegistry(cacheStamp: IMAPServerInfo.cacheStamp, linger: .seconds(60))
        self.mailboxes = mailboxes
        let maxCompressed = configuration.imap.maxCompressedSessions
        self.compressionSlots = maxCompressed > 0 ? CompressionSlots(limit: maxCompressed) : nil
        let mailboxChanged: @Sendable (String) -> Void = { mailboxes.changed(path: $0) }
        self.pop3Backend = MaildirPOP3Backend(
            authenticator: authenticator, users: users, penalty: penalty, dataDirectory: configuration.dataDirectory,
            mailboxChanged: mailboxChanged)
        self.imapBackend = MaildirIMAPBackend(
            authenticator: authenticator, users: users, penalty: penalty,
            locator: MaildirLocator(dataDirectory: configuration.dataDirectory, defaultDomain: configuration.domain),
            registry: mailboxes, folderLimits: MailboxStore.Limits(maximumFolders: configuration.imap.maxFolders),
            quota: configuration.quota, logger: logger)
        let spool: Spool
        do {
            spool = try Spool(dataDirectory: configuration.dataDirectory)
            let delivery = try SubmissionDelivery(
                dataDirectory: configuration.dataDirectory,
                locator: MaildirLocator(dataDirectory: configuration.dataDirectory, defaultDomain: configuration.domain),
                spool: spool)
            self.submissionBackend = SubmissionBackend(
                authenticator: authenticator, users: users, penalty: penalty, aliases: aliases,
                delivery: delivery, localDomains: configuration.delivery.localDomains, logger: logger,
                quota: configuration.quota, hostname: configuration.hostname, mailboxChanged: mailboxChanged)
        } catch {
            throw StartupError(description: "data_dir: \(error)")
        }
        StartupSweep.run(dataDirectory: configuration.dataDirectory, logger: logger)  // crash leftovers

        // tls-alpn-01 answers (RFC 8737) on every TLS listener, whichever the CA connects to.
        let challenges = TLSALPNChallenges()
        if let acme = configuration.tls?.acme { try ACMESetup.prepare(configuration, acme, logger: logger) }
        let tlsProviders = try Self.makeTLSProviders(configuration, challenges: challenges) { warning in
            logger.warning("certificate", metadata: ["warning": "\(warning)"])
        }
        self.tlsProviders = tlsProviders
        try Self.checkDKIMKeys(configuration) { warning in
            logger.warning("DKIM key", metadata: ["warning": "\(warning)"])
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.group = group
        let queuePool = NIOThreadPool(numberOfThreads: 4)
        self.queuePool = queuePool
        var queueLogger = logger
        queueLogger[metadataKey: "service"] = "queue"
        let outbound: OutboundQueue
        do {
            outbound = try OutboundSetup.makeQueue(
                configuration, spool: spool, reports: submissionBackend, group: group, threadPool: queuePool, logger: queueLogger)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.outbound = outbound
        submissionBackend.spooled.withLock { $0 = { outbound.enqueue(id: $0) } }
        self.diskPool = NIOThreadPool(numberOfThreads: configuration.limits.diskThreads)
        self.passwordPool = NIOThreadPool(numberOfThreads: configuration.limits.authThreads)
        let http01 = HTTP01Challenges()
        self.http01 = http01
        if let acme = configuration.tls?.acme {
            var serviceLogger = logger
            serviceLogger[metadataKey: "service"] = "acme"
            let acmeLogger = serviceLogger, pool = diskPool
            self.acmeManager = try ACMESetup.makeManager(
                acme, challenges: challenges, http01: http01, group: group, threadPool: pool, logger: acmeLogger,
                status: acmeStatus
            ) {
                // Every listener takes the new certificate for new connections; live ones keep theirs.
                await Self.reloadCertificates(tlsProviders, pool: pool, logger: acmeLogger)
            }
        } else {
            self.acmeManager = nil
        }
        self.connections = ConnectionRegistry(
            maxConnections: configuration.limits.maxConnections, maxPerAddress: configuration.limits.maxConnectionsPerIP)
        self.sessions = SessionCounter(maxPerUserAddress: configuration.limits.maxSessionsPerUserIP)
    }

    /// `auth.passwd_file: ...` with what to do when the file is missing or unreadable.
    static func passwdFileProblem(_ configuration: LoftConfiguration, _ error: any Error) -> String {
        let path = configuration.auth.passwdFile
        var status = stat()
        if stat(path, &status) != 0 && errno == ENOENT {
            let config = configuration.sourcePath.map { " --config \($0)" } ?? ""
            return "auth.passwd_file: \(path) does not exist; add a first user with `loft user add\(config) NAME` "
                + "(it creates the file), or fix the path in the config"
        }
        if access(path, R_OK) != 0 && (errno == EACCES || errno == EPERM) {
            return "auth.passwd_file: \(path) cannot be read by user \"\(RunUser.current().name)\" (permission denied); "
                + "make it readable to that user (e.g. chmod 0640 and chgrp), or start loft as root"
        }
        return "auth.passwd_file: \(error)"
    }

    /// What to do about a certificate or key problem, after "; ".
    static func fix(for error: TLSError) -> String {
        switch error.kind {
        case .fileUnreadable: "; put the right path in [tls] of the config"
        case .invalidCertificate: "; point certificate in [tls] at the PEM file holding the certificate chain"
        case .invalidPrivateKey: "; point private_key in [tls] at the unencrypted PEM key (openssl pkey -in KEY -out KEY.pem)"
        case .keyMismatch: "; use the key the certificate was issued for (or a certificate for this key)"
        case .certificateExpired: "; renew it, then reload with SIGHUP or restart loft"
        default: ""
        }
    }

    static func tlsConfiguration(_ tls: TLSSettings, applicationProtocol: String) -> TLSServerConfiguration {
        var sni: [String: TLSCertificateFiles] = [:]
        for entry in tls.sni {
            sni[entry.hostname.lowercased()] = TLSCertificateFiles(certificatePath: entry.certificate, privateKeyPath: entry.privateKey)
        }
        return TLSServerConfiguration(
            certificate: TLSCertificateFiles(certificatePath: tls.certificate, privateKeyPath: tls.privateKey),
            sniCertificates: sni,
            minimumVersion: tls.minVersion == .tls13 ? .tls13 : .tls12,
            applicationProtocol: applicationProtocol
        )
    }

    /// Binds every listener, then drops privileges if `user` is set. Blocks; call it from the
    /// main thread: glibc carries `setuid` to every thread it can signal, and a main thread
    /// parked by an async `main` (dispatch_main) would otherwise keep root.
    public func start() throws -> [BoundListener] {
        diskPool.start()
        passwordPool.start()
        FileDescriptorLimit.raiseToHardLimit()
        let services = ConnectionServices(
            blockingWork: ThreadPoolWorkRunner(pool: diskPool), passwordWork: ThreadPoolWorkRunner(pool: passwordPool),
            logins: sessions)

        var bound: [BoundListener] = []
        var channels: [any Channel] = []
        // The mail listeners first: an https listener's documents name the ports they were bound to.
        let listeners = configuration.listeners.filter { $0.protocol != .https } + configuration.listeners.filter { $0.protocol == .https }
        for listener in listeners {
            let channel: any Channel
            do {
                channel = listener.protocol == .http
                    ? try ACMEHTTPChallengeHandler.bind(host: listener.address.host, port: listener.address.port, group: group,
                                                        challenges: http01, hostname: configuration.hostname)
                    : try bind(listener, services: services, mailListeners: bound)
            } catch {
                for channel in channels { try? channel.close().wait() }
                throw StartupError(description: ListenFailure.message(listener, error, demo: configuration.sourcePath == nil))
            }
            channels.append(channel)
            let entry = BoundListener(listener, localAddress: channel.localAddress)
            var metadata: Logger.Metadata = ["listener": "\(entry)"]
            if let trusted = listener.trustedProxies {
                metadata["proxy_protocol"] = "\(trusted.map(\.description).joined(separator: ","))"
            }
            logger.info("listening", metadata: metadata)
            bound.append(entry)
        }
        if let metrics = configuration.metrics {
            do {
                let channel = try MetricsEndpoint(outbound: outbound, acme: acmeManager == nil ? nil : acmeStatus).bind(host: metrics.listen.host, port: metrics.listen.port, group: group)
                channels.append(channel)
                let address = ListenAddress(
                    host: channel.localAddress?.ipAddress ?? metrics.listen.host, port: channel.localAddress?.port ?? metrics.listen.port)
                logger.info("listening", metadata: ["metrics": "http://\(address)\(MetricsHTTPHandler.path)"])
            } catch {
                for channel in channels { try? channel.close().wait() }
                throw StartupError(description: "metrics.listen: cannot listen on \(metrics.listen): \(error)")
            }
        }
        running.withLock { $0.serverChannels = channels }

        if let user = configuration.user {
            try PrivilegeDrop.drop(to: user)
            logger.info("dropped privileges", metadata: ["user": "\(user)"])
        }
        queuePool.start()
        let outbound = self.outbound
        Task { await outbound.start() }
        if let acmeManager {
            acmeTask.withLock { $0 = Task { await acmeManager.run() } }
        }
        return bound
    }

    private func bind(_ listener: ListenerConfiguration, services: ConnectionServices, mailListeners: [BoundListener]) throws -> any Channel {
        let provider = listener.tls == .none ? nil : tlsProviders[listener.protocol]
        var listenerServices = services
        if listener.protocol == .imap, let compressionSlots {
            listenerServices.compression = .deflate(slots: compressionSlots)
        }
        let services = listenerServices
        let connections = self.connections
        let makeProtocolHandler = protocolHandlerFactory(for: listener, mailListeners: mailListeners)
        let refusalLine = listener.protocol.refusal(hostname: configuration.hostname)
        let refusalLog = self.refusalLog
        let baseLogger = logger
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            // One socket read (at most 64 KiB) per read(): with NIO's default of 4, a held read
            // let in four at once, beyond what the input cap allows for (an IMAP APPEND writing
            // to disk while the client sends on).
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
        if listener.address.host.contains(":") {
            // "[::]:110" beside "0.0.0.0:110": the IPv6 socket must not claim IPv4 too.
            bootstrap = bootstrap.serverChannelOption(ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only), value: 1)
        }
        let metrics = configuration.metrics == nil ? nil : ListenerMetrics(listener)
        // Counts the connection in and builds its pipeline; `proxiedClient` is the client a PROXY
        // header named, nil when the socket's peer is the client.
        let setUp: @Sendable (any Channel, SocketAddress?, Logger) throws -> Void = { channel, proxiedClient, logger in
            let clientIP = (proxiedClient ?? channel.remoteAddress)?.ipAddress ?? "unknown"
            let refusal = connections.admit(channel, address: clientIP)
            metrics?.connections.increment()
            let pipeline = channel.pipeline.syncOperations
            if listener.tls == .implicit, let provider {
                try pipeline.addHandler(TLSServerHandler(context: provider.current))
                if let metrics { try pipeline.addHandler(TLSHandshakeCounter(metrics)) }
            }
            if let refusal {
                refusalLog.notice("connection refused", logger, metadata: ["peer": "\(clientIP)", "reason": "\(refusal.reason)"])
                try pipeline.addHandler(ConnectionRefusalHandler(line: refusalLine))
                return
            }
            var services = services
            services.clientAddress = proxiedClient
            services.metrics = metrics?.sessions
            if listener.tls == .starttls, let provider {
                services.startTLS = StartTLSUpgrade { pipeline in
                    let tls = TLSServerHandler(context: provider.current)
                    try pipeline.addHandler(tls, position: .first)
                    if let metrics { try pipeline.addHandler(TLSHandshakeCounter(metrics), position: .after(tls)) }
                }
            }
            try pipeline.addHandler(makeProtocolHandler(services, logger))
        }
        let proxyHeaderTimeout = TimeAmount(configuration.limits.proxyHeaderTimeout)
        return try bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The bound address, so a port-0 listener logs its real port.
                    var logger = baseLogger
                    logger[metadataKey: "listener"] = "\(BoundListener(listener, localAddress: channel.localAddress))"
                    guard let trustedProxies = listener.trustedProxies else {
                        try setUp(channel, nil, logger)
                        return
                    }
                    let proxyIP = channel.remoteAddress?.ipAddress ?? "unknown"
                    guard trustedProxies.contains(where: { $0.contains(ipAddress: proxyIP) }) else {
                        refusalLog.notice("connection refused", logger, metadata: [
                            "peer": "\(proxyIP)", "reason": "not a trusted proxy (proxy_trusted of this listener)",
                        ])
                        channel.close(promise: nil)
                        return
                    }
                    logger[metadataKey: "proxy"] = "\(proxyIP):\(channel.remoteAddress?.port ?? 0)"
                    // Before TLS: on an implicit-TLS port the header comes before the ClientHello.
                    try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler(
                        timeout: proxyHeaderTimeout,
                        received: { header in try setUp(channel, header.source, logger) },
                        refused: { reason in logger.warning("PROXY header refused, connection closed", metadata: ["reason": "\(reason)"]) }))
                }
            }
            .bind(host: listener.address.host, port: listener.address.port)
            .wait()
    }

    /// Builds the handler that speaks the listener's protocol on each new connection.
    private func protocolHandlerFactory(
        for listener: ListenerConfiguration, mailListeners: [BoundListener]
    ) -> @Sendable (ConnectionServices, Logger) -> any ChannelHandler {
        switch listener.protocol {
        case .https:
            let configuration = self.configuration
            let settings = MailClientSettings(
                hostname: configuration.hostname, localDomains: configuration.delivery.localDomains + [configuration.domain],
                listeners: mailListeners.map { ($0.configuration, port: $0.port) })
            let router = HTTPSRouter(settings: settings, policy: MTASTSPublishedPolicy(settings: configuration.mtaSTS, hostname: configuration.hostname))
            return { _, _ in HTTPSRequestHandler(router: router) }
        case .pop3:
            let configuration = POP3Session.Configuration(
                tlsMode: listener.tls.lineMode, allowPlaintextAuth: listener.allowPlaintextAuth, limits: configuration.pop3Limits)
            let backend = pop3Backend
            return { services, logger in
                POP3ServerHandler(configuration: configuration, backend: backend, services: services, logger: logger)
            }
        case .imap:
            let configuration = IMAPConfiguration(
                tlsMode: listener.tls.lineMode, allowPlaintextAuth: listener.allowPlaintextAuth, limits: configuration.imapLimits,
                withheldCapabilities: listener.withheldCapabilities)
            let backend = imapBackend
            return { services, logger in
                IMAPServerHandler(configuration: configuration, backend: backend, services: services, logger: logger)
            }
        case .submission:
            let configuration = SMTPServerConfiguration(
                hostname: self.configuration.hostname, tlsMode: listener.tls.lineMode,
                allowPlaintextAuth: listener.allowPlaintextAuth, limits: self.configuration.submissionLimits)
            let backend = submissionBackend
            return { services, logger in
                SMTPServerHandler(configuration: configuration, backend: backend, services: services, logger: logger)
            }
        case .http:
            preconditionFailure("http listeners are bound by ACMEHTTPChallengeHandler.bind")
        }
    }

    /// Stops the queue runner, waiting for the deliveries in progress until `deadline` at most (what is
    /// cut short is repeated at the next start: deliveries are at-least-once).
    private func stopQueue(deadline: ContinuousClock.Instant) {
        let stopped = DispatchSemaphore(value: 0)
        let outbound = self.outbound
        Task {
            await outbound.stop()
            stopped.signal()
        }
        let seconds = max(0, Double((deadline - ContinuousClock.now).components.seconds)) + 1
        _ = stopped.wait(timeout: .now() + seconds)
    }

    /// SIGHUP: certificates and the passwd-file are read again (PostgreSQL is read on every lookup). New connections get the new
    /// certificate; live ones keep theirs; a broken file keeps the old state and says why.
    public func reload() {
        Self.reloadCertificates(tlsProviders, logger: logger)
        guard let passwdFile = users as? PasswdFileUserDatabase else { return }
        do {
            try passwdFile.reload()
            logger.info("reloaded passwd-file", metadata: ["path": "\(configuration.auth.passwdFile)"])
        } catch {
            logger.error("passwd-file reload failed, keeping the old one", metadata: ["error": "\(error)"])
        }
    }

    /// Rebuilds every listener's TLS context from its files (blocking).
    static func reloadCertificates(_ providers: [ListenerConfiguration.ServiceProtocol: TLSContextProvider], logger: Logger) {
        for (service, provider) in providers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            do {
                let warnings = try provider.reload()
                logger.info("reloaded certificates", metadata: ["protocol": "\(service.rawValue)"])
                for warning in warnings { logger.warning("certificate", metadata: ["warning": "\(warning)"]) }
            } catch {
                logger.error("certificate reload failed, keeping the old one", metadata: ["protocol": "\(service.rawValue)", "error": "\(error)"])
            }
        }
    }

    /// `reloadCertificates` on `pool`, for async callers.
    static func reloadCertificates(
        _ providers: [ListenerConfiguration.ServiceProtocol: TLSContextProvider], pool: NIOThreadPool, logger: Logger
    ) async {
        _ = try? await pool.runIfActive { reloadCertificates(providers, logger: logger) }
    }

    /// Stops accepting, asks every session to say goodbye, force-closes what is left after
    /// `limits.shutdown_grace`, then stops the event loops and the thread pool. Blocks; never
    /// call it on an event loop.
    public func shutdown() {
        let serverChannels = running.withLock { running in
            defer { running.serverChannels = [] }
            return running.serverChannels
        }
        for channel in serverChannels { try? channel.close().wait() }
        let live = connections.all
        logger.info("shutting down", metadata: ["connections": "\(live.count)"])
        for channel in live {
            channel.pipeline.fireUserInboundEventTriggered(ServerShuttingDown())
        }
        let deadline = ContinuousClock.now + configuration.limits.shutdownGrace
        while connections.count > 0 && ContinuousClock.now < deadline {
            usleep(50_000)
        }
        let remaining = connections.all
        if !remaining.isEmpty {
            logger.warning("force-closing sessions after the grace period", metadata: ["connections": "\(remaining.count)"])
            // All at once: each TLS close may wait for its close_notify to be written.
            let closed = remaining.map { $0.close() }
            for future in closed { try? future.wait() }
        }
        acmeTask.withLock { $0?.cancel() }
        stopQueue(deadline: deadline)
        mailboxes.shutdown()
        try? queuePool.syncShutdownGracefully()
        try? diskPool.syncShutdownGracefully()
        try? passwordPool.syncShutdownGracefully()
        (users as? PostgresUserDatabase)?.shutdown()
        try? group.syncShutdownGracefully()
        logger.info("stopped")
    }
}

extension ListenerConfiguration.ServiceProtocol {
    /// The ALPN id a client must offer if it offers any (strict ALPN against ALPACA).
    var alpnIdentifier: String {
        switch self {
        case .pop3: "pop3"
        case .imap: "imap"
        case .submission: "smtp"
        case .https: "http/1.1"
        case .http: "http/1.1"
        }
    }
}

extension ListenerConfiguration.ServiceProtocol {
    /// What a client over a connection limit is told before the connection closes.
    func refusal(hostname: String) -> String {
        switch self {
        case .pop3: "-ERR [SYS/TEMP] Too many connections, try again later."
        case .imap: "* BYE [UNAVAILABLE] Too many connections, try again later."
        case .submission: "421 4.7.0 \(hostname) Too many connections, try again later"
        // The handler ends the line with CRLF, which ends the head: a 503 without content.
        case .https: "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 60\r\nContent-Length: 0\r\nConnection: close\r\n"
        case .http: "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
        }
    }
}

extension ConnectionRegistry.Refusal {
    var reason: String {
        switch self {
        case .tooManyConnections: "limits.max_connections reached"
        case .tooManyFromAddress: "limits.max_connections_per_ip reached"
        }
    }
}

extension ListenerConfiguration.TLSMode {
    var lineMode: TLSMode {
        switch self {
        case .none: .none
        case .starttls: .startTLS
        case .implicit: .implicit
        }
    }
}

extension LoftConfiguration {
    var submissionLimits: SMTPLimits {
        var limits = SMTPLimits()
        limits.maxMessageSize = submission.maxMessageSize
        limits.maxRecipients = submission.maxRecipients
        limits.idleTimeout = submission.idleTimeout
        limits.loginTimeout = self.limits.loginTimeout
        limits.maxDiscardedContent = submission.maxMessageSize
        return limits
    }

    var pop3Limits: POP3Limits {
        var limits = POP3Limits()
        limits.idleTimeout = pop3.idleTimeout
        limits.maxLineLength = pop3.maxLineLength
        limits.loginTimeout = self.limits.loginTimeout
        return limits
    }

    var imapLimits: IMAPLimits {
        var limits = IMAPLimits()
        limits.parser.maxAppendSize = submission.maxMessageSize
        limits.idleTimeout = imap.idleTimeout
        limits.idleKeepalive = imap.idleKeepalive
        limits.parser.maxLineLength = imap.maxLineLength
        limits.maxMetadataValueSize = imap.metadataMaxValueSize
        limits.maxMetadataEntries = imap.metadataMaxEntries
        limits.maxNotifyMailboxes = imap.notifyMaxMailboxes
        limits.maxPendingNotifications = imap.notifyMaxPending
        limits.loginTimeout = self.limits.loginTimeout
        return limits
    }
}
