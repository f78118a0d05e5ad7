/// `[auth.postgresql]`: users in PostgreSQL, looked up with two queries as Dovecot's SQL driver does
/// (`password_query` for logins, `user_query` for mail access and delivery).
public struct PostgresUserSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    /// `%u` / `%n` / `%d` in a query: the user's canonical name, its local part, its domain.
    public enum Placeholder: Character, Sendable, CaseIterable {
        /// `local@domain` (the domain in lower case; the default domain for a name without `@`).
        case user = "u"
        /// The local part, exactly as typed.
        case localPart = "n"
        /// The domain in lower case.
        case domain = "d"
    }

    /// A query with its placeholders turned into bind parameters `$1`, `$2`, …: the values are
    /// sent apart from the SQL text, never spliced into it.
    public struct Query: Sendable, Equatable {
        /// The SQL as the server gets it.
        public var sql: String
        /// What `$1`, `$2`, … stand for, in order.
        public var parameters: [Placeholder]

        /// Compiles `text` as an admin writes it: `%u`, `%n`, `%d` (also Dovecot's quoted `'%u'`),
        /// `%%` for a literal `%`.
        /// - Returns: the query, or the problem (an unknown placeholder, a `$n` of its own).
        public static func compile(_ text: String) -> Result<Query, QueryError> {
            let characters = Array(text)
            var sql = ""
            var parameters: [Placeholder] = []
            var index = 0
            func bind(_ placeholder: Placeholder) -> String {
                if let existing = parameters.firstIndex(of: placeholder) { return "$\(existing + 1)" }
                parameters.append(placeholder)
                return "$\(parameters.count)"
            }
            while index < characters.count {
                let character = characters[index]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if character == "$", let next, next.isASCII, next.isNumber {
                    return .failure(QueryError("write %u, %n or %d instead of the bind parameter $\(next)"))
                }
                if character == "'", next == "%", index + 3 < characters.count, characters[index + 3] == "'",
                   let placeholder = Placeholder(rawValue: characters[index + 2]) {
                    sql += bind(placeholder)  // Dovecot's '%u': the quotes go, the value is a parameter
                    index += 4
                    continue
                }
                guard character == "%" else {
                    sql.append(character)
                    index += 1
                    continue
                }
                guard let next else { return .failure(QueryError("ends with a lone %; write %% for a literal %")) }
                if next == "%" {
                    sql.append("%")
                } else if let placeholder = Placeholder(rawValue: next) {
                    sql += bind(placeholder)
                } else {
                    return .failure(QueryError("unknown placeholder %\(next); use %u (user@domain), %n (user) or %d (domain), %% for %"))
                }
                index += 2
            }
            guard parameters.contains(.user) || parameters.contains(.localPart) else {
                return .failure(QueryError("must select one user: use %u, or %n (with %d)"))
            }
            return .success(Query(sql: sql, parameters: parameters))
        }
    }

    public struct QueryError: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The table `etc/loft-users.sql` creates.
    public static let defaultPasswordQuery = "SELECT password FROM users WHERE username = %n AND domain = %d"
    public static let defaultUserQuery = """
        SELECT home, quota_storage, quota_messages, imap_withhold_capabilities FROM users \
        WHERE username = %n AND domain = %d
        """
    public static let defaultPort = 5432
    public static let defaultPoolSize = 8
    public static let poolSizeRange = 1...256
    public static let defaultConnectTimeout = Duration.seconds(5)
    public static let defaultQueryTimeout = Duration.seconds(5)

    /// A host name or address; nil when `socket` is used.
    public var host: String?
    public var port: Int
    /// A Unix socket path (`/run/postgresql/.s.PGSQL.5432`), instead of host and port.
    public var socket: String?
    public var database: String
    public var user: String
    /// The password itself, or
    public var password: String?
    /// a file whose first line is the password (absolute), read at startup.
    public var passwordFile: String?
    public var tls: TLSMode
    /// Connections kept open at most.
    public var poolSize: Int
    public var connectTimeout: Duration
    /// How long a lookup may take in all (waiting for a connection included) before the login gets a
    /// temporary failure.
    public var queryTimeout: Duration
    public var passwordQuery: Query
    public var userQuery: Query

    public init(
        host: String? = "127.0.0.1", port: Int = PostgresUserSettings.defaultPort, socket: String? = nil,
        database: String, user: String, password: String? = nil, passwordFile: String? = nil,
        tls: TLSMode = .prefer, poolSize: Int = PostgresUserSettings.defaultPoolSize,
        connectTimeout: Duration = PostgresUserSettings.defaultConnectTimeout,
        queryTimeout: Duration = PostgresUserSettings.defaultQueryTimeout,
        passwordQuery: Query = try! Query.compile(PostgresUserSettings.defaultPasswordQuery).get(),
        userQuery: Query = try! Query.compile(PostgresUserSettings.defaultUserQuery).get()
    ) {
        self.host = host
        self.port = port
        self.socket = socket
        self.database = database
        self.user = user
        self.password = password
        self.passwordFile = passwordFile
        self.tls = tls
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.queryTimeout = queryTimeout
        self.passwordQuery = passwordQuery
        self.userQuery = userQuery
    }
}
