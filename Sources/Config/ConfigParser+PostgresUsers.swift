extension ConfigParser {
    /// The names `[auth] backend` takes.
    enum UserBackendName: String, CaseIterable {
        case passwdFile = "passwd-file"
        case postgresql
    }

    /// `[auth] backend` with what it needs: `passwd_file`, or an `[auth.postgresql]` section.
    func parseUserBackend(_ section: TableReader, into auth: inout AuthSettings) {
        let backend = attempt { try section.choice("backend", of: UserBackendName.self) }
        if section.has("backend") && backend == nil { return }  // refused: its companions are not judged
        switch backend ?? .passwdFile {
        case .passwdFile:
            if section.has("postgresql") {
                problems.record(section.error("postgresql", "is only used with backend = \"postgresql\""))
            }
            if let passwdFile = attempt({ try path(section, "passwd_file") }) { auth.passwdFile = passwdFile }
        case .postgresql:
            if section.has("passwd_file") {
                problems.record(section.error(
                    "passwd_file", "is not used with backend = \"postgresql\" (users are in the database); remove it"))
            }
            guard let postgres = required(section, "postgresql", { try section.table("postgresql") }) else { return }
            if let settings = parsePostgresUsers(postgres) { auth.backend = .postgresql(settings) }
        }
    }

    /// `[auth.postgresql]`: connection, pool and the two queries.
    private func parsePostgresUsers(_ section: TableReader) -> PostgresUserSettings? {
        section.rejectUnknownKeys(known: [
            "host", "port", "socket", "database", "user", "password", "password_file", "tls", "pool_size",
            "connect_timeout", "query_timeout", "password_query", "user_query",
        ], into: problems)
        let database = required(section, "database") { try section.requiredString("database") }
        let user = required(section, "user") { try section.requiredString("user") }
        var settings = PostgresUserSettings(database: database ?? "", user: user ?? "")

        let host = attempt { try hostOrAddress(section, "host") }
        let socket = attempt { try section.has("socket") ? path(section, "socket") : nil }
        if section.has("host") && section.has("socket") {
            problems.record(section.error("socket", "set either host (and port) or socket, not both"))
        }
        if let socket {
            settings.socket = socket
            settings.host = nil
            settings.tls = .disable
            if section.has("port") { problems.record(section.error("port", "is not used with socket; remove it")) }
        }
        if let host { settings.host = host }
        if let port = attempt({ try section.int("port") }) {
            if (1...65535).contains(port) {
                settings.port = port
            } else {
                problems.record(section.error("port", "must be from 1 to 65535, got \(port)"))
            }
        }

        if section.has("password") && section.has("password_file") {
            problems.record(section.error("password_file", "set either password or password_file, not both"))
        }
        settings.password = attempt { try section.string("password") }
        settings.passwordFile = attempt { try section.has("password_file") ? path(section, "password_file") : nil }

        if let tls = attempt({ try section.choice("tls", of: PostgresUserSettings.TLSMode.self) }) {
            if socket != nil && tls != .disable {
                problems.record(section.error("tls", "is for TCP connections; a Unix socket is not encrypted (use \"disable\")"))
            }
            settings.tls = tls
        }
        if let poolSize = attempt({ try section.int("pool_size") }) {
            let range = PostgresUserSettings.poolSizeRange
            if range.contains(poolSize) {
                settings.poolSize = poolSize
            } else {
                problems.record(section.error("pool_size", "must be from \(range.lowerBound) to \(range.upperBound), got \(poolSize)"))
            }
        }
        let durations: [(String, WritableKeyPath<PostgresUserSettings, Duration>)] = [
            ("connect_timeout", \.connectTimeout), ("query_timeout", \.queryTimeout),
        ]
        for (key, target) in durations {
            guard let duration = attempt({ try section.duration(key) }) else { continue }
            if duration.value > .zero {
                settings[keyPath: target] = duration.value
            } else {
                problems.record(section.error(key, "must be more than 0, got \"\(duration.text)\""))
            }
        }
        let queries: [(String, WritableKeyPath<PostgresUserSettings, PostgresUserSettings.Query>)] = [
            ("password_query", \.passwordQuery), ("user_query", \.userQuery),
        ]
        for (key, target) in queries {
            guard let text = attempt({ try section.string(key) }) else { continue }
            switch PostgresUserSettings.Query.compile(text) {
            case .success(let query): settings[keyPath: target] = query
            case .failure(let problem): problems.record(section.error(key, "\(problem)"))
            }
        }
        guard database != nil, user != nil else { return nil }
        return settings
    }

    /// A host name, or an IPv4/IPv6 address.
    private func hostOrAddress(_ table: TableReader, _ name: String) throws -> String? {
        guard let text = try table.string(name) else { return nil }
        let isAddress = !text.contains("/") && (try? IPNetwork(parsing: text)) != nil
        guard isAddress || Self.isHostName(text, wildcard: false) else {
            throw table.error(name, "must be a host name or an IP address like \"127.0.0.1\", got \"\(text)\"")
        }
        return text
    }
}
