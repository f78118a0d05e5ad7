import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

/// Debian's PostgreSQL 15 as a private cluster: `initdb` into a temp directory, `postgres` in the
/// foreground on a free 127.0.0.1 port (its Unix socket in the same directory), stopped by PID.
/// PostgreSQL refuses to run as root, so under root (CI) the directory belongs to the `postgres`
/// user and every server command runs through `runuser -u postgres --`.
///
/// The cluster has the role `loft` (password `loftpass`, scram-sha-256 over TCP) owning the database
/// `loft`, with the table of `etc/loft-users.sql`.
final class TestPostgres: @unchecked Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"
    static let role = "loft"
    static let rolePassword = "loftpass"
    static let database = "loft"

    let directory: URL
    let port: Int
    private(set) var process: ChildProcess?

    init() async throws {
        guard FileManager.default.isExecutableFile(atPath: "\(Self.binaries)/initdb") else {
            throw Failure("\(Self.binaries)/initdb is missing: apt-get install postgresql (.ci/run installs it)")
        }
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("loft-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try TestHAProxy.freePort()
        if getuid() == 0 {
            let chown = try await Subprocess.run("/bin/chown", ["postgres:postgres", directory.path])
            guard chown.status == 0 else { throw Failure("chown postgres: \(chown.errors)") }
        }
        let passwordFile = directory.appendingPathComponent("pwfile").path
        try Data("postgres\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        if getuid() == 0 { _ = try await Subprocess.run("/bin/chown", ["postgres:postgres", passwordFile]) }
        let initdb = try await Self.asPostgres("\(Self.binaries)/initdb", [
            "-D", dataPath, "-U", "postgres", "--pwfile", passwordFile, "-E", "UTF8", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        ], timeout: .seconds(120))
        guard initdb.status == 0 else { throw Failure("initdb failed: \(initdb.output) \(initdb.errors)") }
        try start()
        let setup = try await psql(asSuperuser: true, database: "postgres", """
            CREATE ROLE \(Self.role) LOGIN PASSWORD '\(Self.rolePassword)';
            CREATE DATABASE \(Self.database) OWNER \(Self.role);
            """)
        guard setup.status == 0 else { throw Failure("creating the role failed: \(setup.errors)") }
        let schemaPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../etc/loft-users.sql").standardized.path
        let schema = try await psql(String(decoding: try Data(contentsOf: URL(fileURLWithPath: schemaPath)), as: UTF8.self))
        guard schema.status == 0 else { throw Failure("etc/loft-users.sql failed: \(schema.errors)") }
    }

    private var dataPath: String { directory.appendingPathComponent("data").path }
    private var logPath: String { directory.appendingPathComponent("postgres.log").path }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Starts `postgres` in the foreground and waits until it takes connections.
    func start() throws {
        let arguments = ["-D", dataPath, "-p", "\(port)", "-k", directory.path, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        let postgres = "\(Self.binaries)/postgres"
        process = getuid() == 0
            ? try ChildProcess(executable: "/usr/sbin/runuser", arguments: ["-u", "postgres", "--", postgres] + arguments, outputPath: logPath)
            : try ChildProcess(executable: postgres, arguments: arguments, outputPath: logPath)
        let deadline = ContinuousClock.now + .seconds(30)
        while !log.contains("database system is ready to accept connections") {
            guard process?.isRunning == true else { throw Failure("postgres exited: \(log)") }
            guard ContinuousClock.now < deadline else { throw Failure("postgres did not start: \(log)") }
            usleep(50_000)
        }
    }

    /// Fast shutdown (SIGINT to the postmaster, whose PID is the first line of `postmaster.pid`):
    /// open sessions are ended, as when the database goes down under Loft.
    func stop() {
        guard let process else { return }
        if let text = try? String(contentsOfFile: "\(dataPath)/postmaster.pid", encoding: .utf8),
           let line = text.split(separator: "\n").first, let pid = pid_t(line) {
            kill(pid, SIGINT)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        process.end()
        self.process = nil
    }

    /// For `defer`: stops the server and removes the cluster.
    func cleanUpNow() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs SQL with `psql` over the Unix socket (`ON_ERROR_STOP`: the first error fails it), as the
    /// role `loft` in its database, or as the superuser.
    @discardableResult
    func psql(asSuperuser: Bool = false, database: String = TestPostgres.database, _ sql: String) async throws -> Subprocess.Result {
        try await Self.asPostgres("\(Self.binaries)/psql", [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory.path, "-p", "\(port)",
            "-U", asSuperuser ? "postgres" : Self.role, "-d", database,
        ], input: Data(sql.utf8))
    }

    /// Adds a row to the `users` table of `etc/loft-users.sql`.
    func addUser(_ name: String, domain: String = "example.org", hash: String, extra: [String: String] = [:]) async throws {
        let columns = ["username", "domain", "password"] + extra.keys.sorted()
        let values = [name, domain, hash] + extra.keys.sorted().map { extra[$0]! }
        let quoted = values.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }
        let result = try await psql("INSERT INTO users (\(columns.joined(separator: ", "))) VALUES (\(quoted.joined(separator: ", ")));")
        guard result.status == 0 else { throw Failure("INSERT failed: \(result.errors)") }
    }

    /// `executable` as the `postgres` user when the tests run as root.
    private static func asPostgres(
        _ executable: String, _ arguments: [String], input: Data = Data(), timeout: Duration = .seconds(30)
    ) async throws -> Subprocess.Result {
        if getuid() == 0 {
            return try await Subprocess.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments, input: input, timeout: timeout)
        }
        return try await Subprocess.run(executable, arguments, input: input, timeout: timeout)
    }
}
