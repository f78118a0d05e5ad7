import Auth
import Foundation
import Testing

/// Users in PostgreSQL (`[auth] backend = "postgresql"`) for real clients: a private Debian
/// PostgreSQL 15 cluster (`TestPostgres`) with the table of `etc/loft-users.sql`, a real
/// `loft serve`, and imaplib, poplib and smtplib.
@Suite(.serialized) struct PostgresUsersEndToEndTests {
    static let listeners = [
        ("imap", "starttls"), ("imap", "implicit"), ("pop3", "implicit"), ("submission", "starttls"),
    ]

    /// A server whose users are in `database`, over TCP with the role's password from a file.
    static func server(_ database: TestPostgres) throws -> LoftProcess {
        let server = try LoftProcess(
            listeners: listeners, failureDelay: "100ms", extraConfig: "\n[delivery]\nlocal_domains = [\"example.org\"]\n")
        let passwordFile = server.directory.appendingPathComponent("pg-password").path
        try Data("\(TestPostgres.rolePassword)\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
            // The penalty stays short: the tests make several failed logins from 127.0.0.1 on purpose.
            .replacingOccurrences(of: "passwd_file = \"\(server.passwdPath)\"",
                                  with: "backend = \"postgresql\"\nfailure_delay_max = \"200ms\"")
        + """

            [auth.postgresql]
            host = "127.0.0.1"
            port = \(database.port)
            database = "\(TestPostgres.database)"
            user = "\(TestPostgres.role)"
            password_file = "\(passwordFile)"
            pool_size = 4
            query_timeout = "2s"

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: server.configPath))
        try FileManager.default.removeItem(atPath: server.passwdPath)  // nothing may come from a passwd-file
        return server
    }

    static let smtpPrelude = """
    import smtplib
    def smtp_login(port, user, password):
        s = smtplib.SMTP("127.0.0.1", port, timeout=20)
        s.starttls(context=tls_context())
        try:
            code, text = s.login(user, password)
        except smtplib.SMTPAuthenticationError as e:
            code, text = e.smtp_code, e.smtp_error
        except smtplib.SMTPResponseException as e:
            code, text = e.smtp_code, e.smtp_error
        try:
            s.quit()
        except Exception:
            pass
        return value("%d %s" % (code, text.decode()))
    def pop_login(port, user, password):
        import poplib
        p = poplib.POP3_SSL("127.0.0.1", port, context=tls_context(), timeout=20)
        try:
            p.user(user)
            reply = p.pass_(password).decode()
            p.quit()
        except poplib.error_proto as e:
            reply = str(e.args[0].decode() if isinstance(e.args[0], bytes) else e.args[0])
        return value(reply)
    def imap_login(port, user, password):
        m = connect("ssl", port)
        r = call(m, "login", user, password)
        try:
            m.logout()
        except Exception:
            pass
        return r

    """

    /// Logs `user` in with `password` over IMAP (993), POP3 (995) and submission (587), each under `key_protocol`.
    static func logins(_ server: LoftProcess, _ attempts: [(key: String, user: String, password: String)]) async throws
        -> [String: PythonIMAP.Reply] {
        var script = smtpPrelude
        for attempt in attempts {
            let user = attempt.user.debugDescription, password = attempt.password.debugDescription
            script += """
            out["\(attempt.key)_imap"] = imap_login(\(server.imapImplicitPort), \(user), \(password))
            out["\(attempt.key)_pop3"] = pop_login(\(server.port("implicit")), \(user), \(password))
            out["\(attempt.key)_smtp"] = smtp_login(\(server.port("starttls", protocol: "submission")), \(user), \(password))

            """
        }
        return try await PythonIMAP.replies(script + "done()\n")
    }

    @Test("yescrypt, {SHA512-CRYPT} and bcrypt users in the table log in over IMAP, POP3 and submission; wrong passwords and unknown users fail")
    func hashSchemes() async throws {
        let database = try await TestPostgres()
        defer { database.cleanUpNow() }
        try await database.addUser("alice", hash: try PasswordHash.make(password: LoftProcess.password, scheme: .yescrypt))
        try await database.addUser("bob", hash: "{SHA512-CRYPT}" + (try PasswordHash.make(password: "bob secret", scheme: .sha512crypt)))
        try await database.addUser("carol", hash: try PasswordHash.make(password: "carol secret", scheme: .bcrypt))
        let server = try Self.server(database)
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: Self.listeners.count)

        let r = try await Self.logins(server, [
            ("alice", "alice", LoftProcess.password), ("bob", "bob@example.org", "bob secret"), ("carol", "carol@EXAMPLE.org", "carol secret"),
            ("wrong", "bob", "carol secret"), ("unknown", "dave", "dave secret"), ("case", "Alice", LoftProcess.password),
        ])
        for user in ["alice", "bob", "carol"] {
            #expect(r["\(user)_imap"]?.ok == true, "\(user): \(String(describing: r["\(user)_imap"]))")
            #expect(r["\(user)_pop3"]?.typ.hasPrefix("+OK") == true, "\(user): \(String(describing: r["\(user)_pop3"]))")
            #expect(r["\(user)_smtp"]?.typ.hasPrefix("235 ") == true, "\(user): \(String(describing: r["\(user)_smtp"]))")
        }
        for attempt in ["wrong", "unknown", "case"] {
            #expect(r["\(attempt)_imap"]?.typ.contains("AUTHENTICATIONFAILED") == true, "\(attempt): \(String(describing: r["\(attempt)_imap"]))")
            #expect(r["\(attempt)_pop3"]?.typ.hasPrefix("-ERR [AUTH]") == true, "\(attempt): \(String(describing: r["\(attempt)_pop3"]))")
            #expect(r["\(attempt)_smtp"]?.typ.hasPrefix("535 5.7.8") == true, "\(attempt): \(String(describing: r["\(attempt)_smtp"]))")
        }
    }

    @Test("a user added to the table logs in and gets mail without a restart; quota and withheld capabilities come from its columns")
    func addedUserAndExtraFields() async throws {
        let database = try await TestPostgres()
        defer { database.cleanUpNow() }
        let hash = try PasswordHash.make(password: LoftProcess.password)
        try await database.addUser("alice", hash: hash)
        let server = try Self.server(database)
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: Self.listeners.count)

        let before = try await PythonIMAP.replies(Self.smtpPrelude + """
            out["login"] = imap_login(\(server.imapImplicitPort), "erin", \(LoftProcess.password.debugDescription))
            s = smtplib.SMTP("127.0.0.1", \(server.port("starttls", protocol: "submission")), timeout=20)
            s.starttls(context=tls_context())
            s.login("alice", \(LoftProcess.password.debugDescription))
            s.mail("alice@example.org")
            code, reply = s.rcpt("erin@example.org")
            out["rcpt"] = value("%d %s" % (code, reply.decode()))
            s.quit()
            done()
            """)
        #expect(before["login"]?.typ.contains("AUTHENTICATIONFAILED") == true, "\(String(describing: before["login"]))")
        #expect(before["rcpt"]?.typ.hasPrefix("550 5.1.1") == true, "\(String(describing: before["rcpt"]))")

        let erinHome = server.directory.appendingPathComponent("homes/erin").path
        try await database.addUser("erin", hash: hash, extra: [
            "home": erinHome, "quota_messages": "1", "imap_withhold_capabilities": "CONDSTORE,QRESYNC",
        ])
        let after = try await PythonIMAP.replies(Self.smtpPrelude + """
            msg = "From: alice@example.org\\r\\nTo: erin@example.org\\r\\nSubject: hi\\r\\n\\r\\nhello\\r\\n"
            s = smtplib.SMTP("127.0.0.1", \(server.port("starttls", protocol: "submission")), timeout=20)
            s.starttls(context=tls_context())
            s.login("alice", \(LoftProcess.password.debugDescription))
            s.mail("alice@example.org")
            code, reply = s.rcpt("erin@example.org")
            out["rcpt"] = value("%d %s" % (code, reply.decode()))
            code, reply = s.data(msg)
            out["data"] = value("%d %s" % (code, reply.decode()))
            s.quit()
            m = connect("ssl", \(server.imapImplicitPort))
            out["login"] = call(m, "login", "erin", \(LoftProcess.password.debugDescription))
            out["caps"] = call(m, "capability")
            out["quota"] = call(m, "getquotaroot", "INBOX")
            out["append"] = call(m, "append", "INBOX", None, None, msg.encode())
            m.logout()
            done()
            """)
        #expect(after["rcpt"]?.typ.hasPrefix("250") == true, "\(String(describing: after["rcpt"]))")
        #expect(after["data"]?.typ.hasPrefix("250") == true, "\(String(describing: after["data"]))")
        #expect(after["login"]?.ok == true, "\(String(describing: after["login"]))")
        let capabilities = Set((after["caps"]?.data.first ?? "").split(separator: " ").map(String.init))
        #expect(capabilities.contains("IMAP4rev1") && !capabilities.contains("CONDSTORE") && !capabilities.contains("QRESYNC"),
                "\(capabilities.sorted())")
        #expect(after["quota"]?.has("* QUOTA \"\" (MESSAGE 1 1)") == true, "\(String(describing: after["quota"]))")
        #expect(after["append"]?.typ == "NO" && after["append"]?.tagged.contains("[OVERQUOTA]") == true,
                "\(String(describing: after["append"]))")
        // The message went to the home the table names.
        #expect(QuotaEndToEndTests.messageFiles(erinHome + "/Maildir").count == 1)
    }

    @Test("the database stopped: IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP], SMTP 454 4.7.0, never 'wrong password'; the log says why; back once it is")
    func databaseDown() async throws {
        let database = try await TestPostgres()
        defer { database.cleanUpNow() }
        try await database.addUser("alice", hash: try PasswordHash.make(password: LoftProcess.password))
        let server = try Self.server(database)
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: Self.listeners.count)

        let up = try await Self.logins(server, [("alice", "alice", LoftProcess.password)])
        #expect(up["alice_imap"]?.ok == true, "\(String(describing: up["alice_imap"]))")

        database.stop()
        let down = try await Self.logins(server, [("alice", "alice", LoftProcess.password), ("wrong", "alice", "not it")])
        for key in ["alice", "wrong"] {
            #expect(down["\(key)_imap"]?.typ.contains("[UNAVAILABLE]") == true, "\(key): \(String(describing: down["\(key)_imap"]))")
            #expect(down["\(key)_pop3"]?.typ.hasPrefix("-ERR [SYS/TEMP]") == true, "\(key): \(String(describing: down["\(key)_pop3"]))")
            #expect(down["\(key)_smtp"]?.typ.hasPrefix("454 4.7.0") == true, "\(key): \(String(describing: down["\(key)_smtp"]))")
        }
        #expect(server.log.contains("user database unavailable"), "\(server.log.suffix(3000))")

        try database.start()
        // The pool reconnects with a backoff: logins work again within seconds, not at the first instant.
        var back = try await Self.logins(server, [("alice", "alice", LoftProcess.password)])
        let deadline = ContinuousClock.now + .seconds(30)
        while back["alice_imap"]?.ok != true || back["alice_pop3"]?.typ.hasPrefix("+OK") != true
            || back["alice_smtp"]?.typ.hasPrefix("235 ") != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            back = try await Self.logins(server, [("alice", "alice", LoftProcess.password)])
        }
        #expect(back["alice_imap"]?.ok == true, "\(String(describing: back["alice_imap"]))")
        #expect(back["alice_pop3"]?.typ.hasPrefix("+OK") == true, "\(String(describing: back["alice_pop3"]))")
        #expect(back["alice_smtp"]?.typ.hasPrefix("235 ") == true, "\(String(describing: back["alice_smtp"]))")
    }

    @Test("loft user add refuses with the postgresql backend and says where users are managed")
    func userCommandRefuses() async throws {
        let server = try LoftProcess()
        defer { server.cleanUpNow() }
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
            .replacingOccurrences(of: "passwd_file = \"\(server.passwdPath)\"", with: "backend = \"postgresql\"")
            + "\n[auth.postgresql]\ndatabase = \"loft\"\nuser = \"loft\"\n"
        try Data(config.utf8).write(to: URL(fileURLWithPath: server.configPath))
        let passwdBefore = try Data(contentsOf: URL(fileURLWithPath: server.passwdPath))
        let result = try await Subprocess.run(LoftProcess.executable, ["user", "add", "--config", server.configPath, "erin"],
                                              input: Data("secret\nsecret\n".utf8))
        #expect(result.status != 0)
        #expect(result.errors.contains("users are in PostgreSQL"), "\(result.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: server.passwdPath)) == passwdBefore)
    }
}
