import Config
import Testing

/// `[auth] backend = "postgresql"` with `[auth.postgresql]`: what is read, what is refused.
@Suite struct PostgresUsersConfigTests {
    static func withPostgres(_ keys: String, backend: String = "backend = \"postgresql\"") -> String {
        ConfigFixtures.minimal.replacingOccurrences(
            of: "passwd_file = \"/etc/loft/passwd\"", with: backend + "\n\n[auth.postgresql]\n" + keys)
    }

    static let basics = "database = \"mail\"\nuser = \"loft\"\n"

    @Test("defaults: 127.0.0.1:5432, tls prefer, a pool of 8, the queries of etc/loft-users.sql as bind parameters")
    func defaults() throws {
        let configuration = try LoftConfiguration.parse(Self.withPostgres(Self.basics), path: "loft.toml")
        guard case .postgresql(let settings) = configuration.auth.backend else {
            Issue.record("backend is \(configuration.auth.backend)")
            return
        }
        #expect(settings.host == "127.0.0.1" && settings.port == 5432 && settings.socket == nil)
        #expect(settings.database == "mail" && settings.user == "loft" && settings.password == nil)
        #expect(settings.tls == .prefer && settings.poolSize == 8)
        #expect(settings.passwordQuery.sql == "SELECT password FROM users WHERE username = $1 AND domain = $2")
        #expect(settings.passwordQuery.parameters == [.localPart, .domain])
        #expect(settings.userQuery.sql.hasSuffix("FROM users WHERE username = $1 AND domain = $2"))
    }

    @Test("every key read; Dovecot's quoted '%u' becomes one bind parameter, used twice; %% is a literal %")
    func everyKey() throws {
        let configuration = try LoftConfiguration.parse(Self.withPostgres("""
            host = "db.example.org"
            port = 6432
            database = "mail"
            user = "loft"
            password_file = "pg-password"
            tls = "require"
            pool_size = 3
            connect_timeout = "2s"
            query_timeout = "500ms"
            password_query = "SELECT pw AS password FROM accounts WHERE login = '%u' OR alias = %u"
            user_query = "SELECT maildir AS home FROM accounts WHERE login = %u AND note NOT LIKE '100%%'"

            """), path: "/etc/loft/loft.toml")
        guard case .postgresql(let settings) = configuration.auth.backend else {
            Issue.record("backend is \(configuration.auth.backend)")
            return
        }
        #expect(settings.host == "db.example.org" && settings.port == 6432 && settings.tls == .require)
        #expect(settings.passwordFile == "/etc/loft/pg-password" && settings.poolSize == 3)
        #expect(settings.connectTimeout == .seconds(2) && settings.queryTimeout == .milliseconds(500))
        #expect(settings.passwordQuery.sql == "SELECT pw AS password FROM accounts WHERE login = $1 OR alias = $1")
        #expect(settings.passwordQuery.parameters == [.user])
        #expect(settings.userQuery.sql == "SELECT maildir AS home FROM accounts WHERE login = $1 AND note NOT LIKE '100%'")
        #expect(configuration.auth.passwdFile.isEmpty)
    }

    @Test("a Unix socket instead of host and port: no TLS")
    func unixSocket() throws {
        let configuration = try LoftConfiguration.parse(
            Self.withPostgres(Self.basics + "socket = \"/run/postgresql/.s.PGSQL.5432\"\n"), path: "loft.toml")
        guard case .postgresql(let settings) = configuration.auth.backend else {
            Issue.record("backend is \(configuration.auth.backend)")
            return
        }
        #expect(settings.socket == "/run/postgresql/.s.PGSQL.5432" && settings.host == nil && settings.tls == .disable)
    }

    static let refusals: [Refusal] = [
        Refusal("unknown backend", withPostgres(basics, backend: "backend = \"ldap\""),
                #"loft.toml: auth.backend: must be "passwd-file" or "postgresql", got "ldap""#),
        Refusal("no section", ConfigFixtures.minimal.replacingOccurrences(
                    of: "passwd_file = \"/etc/loft/passwd\"", with: "backend = \"postgresql\""),
                "loft.toml: auth.postgresql: required, but missing"),
        Refusal("section with the passwd-file backend", withPostgres(basics, backend: "passwd_file = \"/etc/loft/passwd\""),
                #"loft.toml: auth.postgresql: is only used with backend = "postgresql""#),
        Refusal("passwd_file with postgresql", withPostgres(basics, backend: "backend = \"postgresql\"\npasswd_file = \"/etc/loft/passwd\""),
                #"loft.toml: auth.passwd_file: is not used with backend = "postgresql" (users are in the database); remove it"#),
        Refusal("no database", withPostgres("user = \"loft\"\n"),
                "loft.toml: auth.postgresql.database: required, but missing"),
        Refusal("misspelt key", withPostgres(basics + "pool_sise = 4\n"),
                #"loft.toml: auth.postgresql.pool_sise: unknown key (did you mean "pool_size"?)"#),
        Refusal("port out of range", withPostgres(basics + "port = 70000\n"),
                "loft.toml: auth.postgresql.port: must be from 1 to 65535, got 70000"),
        Refusal("bad host", withPostgres(basics + "host = \"db example\"\n"),
                #"loft.toml: auth.postgresql.host: must be a host name or an IP address like "127.0.0.1", got "db example""#),
        Refusal("host and socket", withPostgres(basics + "host = \"::1\"\nsocket = \"/run/postgresql/.s.PGSQL.5432\"\n"),
                "loft.toml: auth.postgresql.socket: set either host (and port) or socket, not both"),
        Refusal("TLS over a socket", withPostgres(basics + "socket = \"/run/pg.sock\"\ntls = \"require\"\n"),
                #"loft.toml: auth.postgresql.tls: is for TCP connections; a Unix socket is not encrypted (use "disable")"#),
        Refusal("unknown tls mode", withPostgres(basics + "tls = \"verify-full\"\n"),
                #"loft.toml: auth.postgresql.tls: must be "disable", "prefer" or "require", got "verify-full""#),
        Refusal("password and password_file", withPostgres(basics + "password = \"x\"\npassword_file = \"/etc/loft/pg\"\n"),
                "loft.toml: auth.postgresql.password_file: set either password or password_file, not both"),
        Refusal("pool of 0", withPostgres(basics + "pool_size = 0\n"),
                "loft.toml: auth.postgresql.pool_size: must be from 1 to 256, got 0"),
        Refusal("zero timeout", withPostgres(basics + "query_timeout = \"0s\"\n"),
                #"loft.toml: auth.postgresql.query_timeout: must be more than 0, got "0s""#),
        Refusal("unknown placeholder", withPostgres(basics + "user_query = \"SELECT home FROM users WHERE login = %x\"\n"),
                "loft.toml: auth.postgresql.user_query: unknown placeholder %x; use %u (user@domain), %n (user) or %d (domain), %% for %"),
        Refusal("own bind parameter", withPostgres(basics + "password_query = \"SELECT password FROM users WHERE login = $1\"\n"),
                "loft.toml: auth.postgresql.password_query: write %u, %n or %d instead of the bind parameter $1"),
        Refusal("no user in the query", withPostgres(basics + "password_query = \"SELECT password FROM users WHERE domain = %d\"\n"),
                "loft.toml: auth.postgresql.password_query: must select one user: use %u, or %n (with %d)"),
        Refusal("lone percent", withPostgres(basics + "user_query = \"SELECT home FROM users WHERE login = %u AND x = '5%\"\n"),
                "loft.toml: auth.postgresql.user_query: ends with a lone %; write %% for a literal %"),
    ]

    @Test("mistakes are refused naming the file, the key and the problem", arguments: refusals)
    func refused(_ refusal: Refusal) {
        do {
            _ = try LoftConfiguration.parse(refusal.text, path: refusal.path)
            Issue.record("accepted")
        } catch let error as ConfigError {
            #expect(error.description == refusal.expected)
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }
}
