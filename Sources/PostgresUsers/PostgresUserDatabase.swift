import Auth
import Config
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Users in PostgreSQL, behind the same `UserDatabase` protocol as the passwd-file.
///
/// Two queries, as Dovecot's SQL driver has them: `password_query` returns the `password` column
/// (a crypt(3) hash, with an optional `{SCHEME}` prefix) for a login; `user_query` returns `home`,
/// `uid`, `gid`, and any other column as the extra field `column=value` (NULL: left out) for mail
/// access and delivery. `%u` / `%n` / `%d` are sent as bind parameters. Every lookup reads the
/// database, so a user added to the table can log in at once.
///
/// The queries run on NIO event loops through postgres-nio's connection pool; the thread that asks
/// (a password or disk pool thread, never an event loop) waits for the reply, at most `query_timeout`.
/// A database that cannot answer is `UserDatabaseUnavailable`, never "no such user".
public final class PostgresUserDatabase: UserDatabase {
    private let settings: PostgresUserSettings
    private let defaultDomain: String
    private let client: PostgresClient
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    /// The pool's `run()`, which must go on for as long as lookups are made.
    private let pool = Mutex<Task<Void, Never>?>(nil)

    /// Sets up the pool (no connection is opened yet: the first lookup opens one) and starts it.
    /// - Parameter password: the password (read from `password_file` by the caller), if any.
    public init(
        settings: PostgresUserSettings, password: String?, defaultDomain: String,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) {
        self.settings = settings
        self.defaultDomain = defaultDomain.lowercased()
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        var configuration: PostgresClient.Configuration
        if let socket = settings.socket {
            configuration = .init(unixSocketPath: socket, username: settings.user, password: password, database: settings.database)
        } else {
            configuration = .init(
                host: settings.host ?? "127.0.0.1", port: settings.port, username: settings.user, password: password,
                database: settings.database, tls: Self.tls(settings.tls))
        }
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.connectTimeout = settings.connectTimeout
        client = PostgresClient(configuration: configuration, eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
        let client = self.client
        pool.withLock { $0 = Task { await client.run() } }
    }

    /// `prefer`: TLS when the server offers it, its certificate not checked (as libpq's `prefer`);
    /// `require`: TLS with the certificate checked against the system's CAs and the host name.
    private static func tls(_ mode: PostgresUserSettings.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable:
            return .disable
        case .prefer:
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            return .prefer(unverified)
        case .require:
            return .require(.makeClientConfiguration())
        }
    }

    /// Closes the pool's connections. Lookups after this are `UserDatabaseUnavailable`.
    public func shutdown() {
        pool.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    public func credentials(_ login: String) throws(UserDatabaseUnavailable) -> UserRecord? {
        guard let name = LoginName(login, defaultDomain: defaultDomain) else { return nil }
        guard let columns = try row(settings.passwordQuery, for: name, what: "password_query") else { return nil }
        guard let password = columns.first(where: { $0.name == "password" }) else {
            throw UserDatabaseUnavailable("password_query returned no \"password\" column")
        }
        guard let field = password.value else { return nil }  // NULL: no password, no login (as Dovecot)
        let hash: String
        switch PasswordHash.cryptHash(storedField: field) {
        case .success(let found): hash = found
        case .failure(let problem): throw UserDatabaseUnavailable("password_query, user \(name.canonical): \(problem)")
        }
        return UserRecord(login: name.canonical, localPart: name.localPart, domain: name.domain, passwordHash: hash)
    }

    public func user(_ login: String) throws(UserDatabaseUnavailable) -> UserRecord? {
        guard let name = LoginName(login, defaultDomain: defaultDomain) else { return nil }
        guard let columns = try row(settings.userQuery, for: name, what: "user_query") else { return nil }
        var record = UserRecord(login: name.canonical, localPart: name.localPart, domain: name.domain, passwordHash: "")
        for column in columns {
            guard let value = column.value else { continue }
            switch column.name {
            case "home": record.home = value.isEmpty ? nil : value
            case "uid", "gid":
                guard let id = UInt32(value) else {
                    throw UserDatabaseUnavailable("user_query, user \(name.canonical): \(column.name) must be a number, got \"\(value)\"")
                }
                if column.name == "uid" { record.uid = id } else { record.gid = id }
            default: record.extraFields.append("\(column.name)=\(value)")
            }
        }
        return record
    }

    /// One column of a result row: its name and its value as text (nil for NULL).
    struct Column: Sendable {
        var name: String
        var value: String?
    }

    /// The one row `query` returns for `name`, nil for none.
    /// - Throws: `UserDatabaseUnavailable` when the database cannot answer in time, refuses the
    ///   query, or returns more than one row (the user would be ambiguous).
    private func row(
        _ query: PostgresUserSettings.Query, for name: LoginName, what: String
    ) throws(UserDatabaseUnavailable) -> [Column]? {
        var bindings = PostgresBindings(capacity: query.parameters.count)
        for parameter in query.parameters {
            switch parameter {
            case .user: bindings.append(name.canonical)
            case .localPart: bindings.append(name.localPart)
            case .domain: bindings.append(name.domain)
            }
        }
        let statement = PostgresQuery(unsafeSQL: query.sql, binds: bindings)
        let client = self.client
        let timeout = settings.queryTimeout
        let promise = eventLoopGroup.any().makePromise(of: [[Column]].self)
        promise.completeWithTask {
            try await withThrowingTaskGroup(of: [[Column]].self) { group in
                group.addTask {
                    try await client.query(statement).collect().map { row in
                        row.map { cell in Column(name: cell.columnName, value: Self.text(of: cell)) }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw QueryTimeout(timeout: timeout)
                }
                defer { group.cancelAll() }
                return try await group.next() ?? []
            }
        }
        let rows: [[Column]]
        do {
            rows = try promise.futureResult.wait()
        } catch {
            let reason = "\(what): \(Self.describe(error))"
            logger.error("user database unavailable", metadata: ["user": "\(name.canonical)", "error": "\(reason)"])
            throw UserDatabaseUnavailable(reason)
        }
        guard rows.count <= 1 else {
            throw UserDatabaseUnavailable("\(what) returned \(rows.count) rows for user \(name.canonical), expected at most 1")
        }
        return rows.first
    }

    /// A cell as text whatever its type (text, integer, boolean); nil for NULL or a type with no text form here.
    private static func text(of cell: PostgresCell) -> String? {
        guard cell.bytes != nil else { return nil }
        if let text = try? cell.decode(String.self) { return text }
        if let number = try? cell.decode(Int64.self) { return String(number) }
        if let flag = try? cell.decode(Bool.self) { return flag ? "yes" : "no" }
        return nil
    }

    /// The server's own message for a SQL error (postgres-nio's description hides it), else the error.
    private static func describe(_ error: any Error) -> String {
        guard let sqlError = error as? PSQLError else { return "\(error)" }
        if let message = sqlError.serverInfo?[.message] {
            let code = sqlError.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + code
        }
        if let underlying = sqlError.underlying { return "\(sqlError.code): \(underlying)" }
        return "\(sqlError.code)"
    }

    struct QueryTimeout: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "no answer within \(timeout) (query_timeout)" }
    }
}
