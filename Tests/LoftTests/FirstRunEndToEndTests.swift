import Auth
import Config
import Foundation
import NIOCore
@testable import LoftServer
import Testing

/// What a new admin sees on a fresh machine: the real `loft` binary in each situation, and the one line it
/// prints (name the thing, the problem and the fix; no type names or system call signatures).
@Suite(.serialized) struct FirstRunEndToEndTests {
    /// A fresh directory, open to every user (the tests that run loft as nobody need that); removed by the caller.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loft-firstrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: url.path)
        return url
    }

    /// A config with one POP3 listener on `address`, a passwd-file with alice, and `extra` first.
    static func config(in directory: URL, address: String, extra: String = "", passwd: Bool = true) throws -> String {
        let passwdPath = directory.appendingPathComponent("passwd").path
        if passwd {
            try Data("alice:\(try PasswordHash.make(password: "secret"))\n".utf8).write(to: URL(fileURLWithPath: passwdPath))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passwdPath)
        }
        let path = directory.appendingPathComponent("loft.toml").path
        let text = extra + """
            hostname = "mail.example.org"
            data_dir = "\(directory.path)/data"

            [auth]
            passwd_file = "\(passwdPath)"

            [[listener]]
            protocol = "pop3"
            address = "\(address)"
            tls = "none"

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        return path
    }

    /// `loft serve --config path` (as `nobody` when asked and we are root); it must refuse to start.
    static func refusal(_ path: String, asNobody: Bool = false) async throws -> (status: Int32, errors: String) {
        let result = asNobody && geteuid() == 0
            ? try await Subprocess.run(
                "/usr/bin/setpriv",
                ["--reuid=nobody", "--regid=nogroup", "--clear-groups", LoftProcess.executable, "serve", "--config", path])
            : try await Subprocess.run(LoftProcess.executable, ["serve", "--config", path])
        return (result.status, result.errors)
    }

    /// The stderr lines that carry the error (the log lines before them start with a timestamp).
    static func errorLines(_ errors: String) -> [String] {
        errors.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Error: ") }
    }

    @Test("loft user add before any loft serve, in an empty directory: creates ./loft-data, the demo user and the new user")
    func userAddFirst() async throws {
        try #require(!FileManager.default.fileExists(atPath: "/etc/loft/loft.toml"), "a system config would be used")
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await Subprocess.run(
            LoftProcess.executable, ["user", "add", "alice@example.org"], input: Data("secret\n".utf8), currentDirectory: directory)
        #expect(first.status == 0, "\(first.errors)")
        let passwdPath = directory.appendingPathComponent("loft-data/passwd").path
        #expect(first.output.hasPrefix("Demo user created: demo  password: "))
        #expect(first.output.contains("(shown once; it is stored hashed in \(passwdPath))\nadded alice@example.org\n"))
        let second = try await Subprocess.run(
            LoftProcess.executable, ["user", "add", "bob"], input: Data("secret\n".utf8), currentDirectory: directory)
        #expect(second.status == 0 && second.output == "added bob\n", "\(second.errors)")
        let list = try await Subprocess.run(LoftProcess.executable, ["user", "list"], currentDirectory: directory)
        #expect(list.output == "demo\nalice@example.org\nbob\n")

        // loft serve's demo then uses that file as it is: no new demo user, nobody added before is lost.
        let demo = try DemoEnvironment.prepare(directory: directory.appendingPathComponent("loft-data").path)
        #expect(demo.newPassword == nil)
        #expect(try PasswdFile.load(path: passwdPath, defaultDomain: "localhost").users == ["demo", "alice@example.org", "bob"])
    }

    @Test("the demo's first run still creates its user and password when no user was added before")
    func demoFirst() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try DemoEnvironment.prepare(directory: directory.appendingPathComponent("loft-data").path)
        #expect(demo.newPassword?.count == 20)
        #expect(try PasswdFile.load(path: demo.configuration.auth.passwdFile, defaultDomain: "localhost").users == ["demo"])
    }

    @Test("loft user list with no config and no passwd-file says so and how to get one")
    func userListWithoutPasswdFile() async throws {
        try #require(!FileManager.default.fileExists(atPath: "/etc/loft/loft.toml"), "a system config would be used")
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await Subprocess.run(LoftProcess.executable, ["user", "list"], currentDirectory: directory)
        #expect(result.status != 0)
        #expect(result.errors == "Error: there is no passwd-file yet: \(directory.path)/loft-data/passwd does not exist "
            + "(no --config given and no /etc/loft/loft.toml, so this is the demo's); run `loft serve` once or "
            + "`loft user add NAME` to create it, or pass --config FILE\n")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("loft-data").path))
    }

    @Test("loft user add --config whose passwd-file directory does not exist names the directory")
    func userAddMissingDirectory() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "127.0.0.1:0", passwd: false)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "\(directory.path)/passwd", with: "\(directory.path)/etc/passwd")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await Subprocess.run(
            LoftProcess.executable, ["user", "add", "--config", path, "alice"], input: Data("secret\n".utf8))
        #expect(result.status != 0)
        #expect(result.errors == "Error: \(directory.path)/etc/passwd: cannot write: the directory "
            + "\(directory.path)/etc does not exist; create it first\n")
    }

    @Test("a port another process listens on: the protocol, the port, the process and what to do")
    func portInUse() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A Python listener holds a port; it prints the port and waits for stdin to close.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
            print(s.getsockname()[1], flush=True)
            sys.stdin.read()
            """]
        let output = Pipe(), input = Pipe()
        holder.standardOutput = output
        holder.standardInput = input
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        let path = try Self.config(in: directory, address: "127.0.0.1:\(port)")
        let result = try await Self.refusal(path)
        #expect(result.status != 0)
        #expect(Self.errorLines(result.errors) == [
            "Error: pop3 listener 127.0.0.1:\(port): port \(port) is already in use by python3 (pid \(holder.processIdentifier)); "
                + "stop it, or give this listener another port in the config",
        ], "\(result.errors)")
    }

    @Test("a port below 1024 without root: say so, and how to bind it")
    func privilegedPort() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "127.0.0.1:110")
        let result = try await Self.refusal(path, asNobody: true)
        #expect(result.status != 0)
        #expect(Self.errorLines(result.errors) == [
            "Error: pop3 listener 127.0.0.1:110: only root may listen on ports below 1024; start loft as root with "
                + "user = \"...\" in the config (it switches to that user after binding), or use a port above 1023",
        ], "\(result.errors)")
    }

    @Test("an address that is not on this machine")
    func foreignAddress() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "192.0.2.1:0")
        let result = try await Self.refusal(path)
        #expect(result.status != 0)
        #expect(Self.errorLines(result.errors) == [
            "Error: pop3 listener 192.0.2.1:0: 192.0.2.1 is not an address of this machine; "
                + "use one of its addresses, or 0.0.0.0 or [::] for all of them",
        ], "\(result.errors)")
    }

    @Test("a config with three mistakes: three Error lines in file order")
    func threeConfigMistakes() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "127.0.0.1:99999", extra: "colour = \"blue\"\n")
        let text = try String(contentsOfFile: path, encoding: .utf8) + "[limits]\nauth_threads = 0\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await Self.refusal(path)
        #expect(result.status != 0)
        #expect(result.errors == """
            Error: \(path): colour: unknown key
            Error: \(path): listener[0].address: invalid address "127.0.0.1:99999": the port must be a number from 0 to 65535, got "99999"
            Error: \(path): limits.auth_threads: must be from 1 to 256, got 0

            """)
    }

    @Test("a passwd-file that does not exist: how to create it")
    func missingPasswdFile() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "127.0.0.1:0", passwd: false)
        let result = try await Self.refusal(path)
        #expect(result.status != 0)
        #expect(Self.errorLines(result.errors) == [
            "Error: auth.passwd_file: \(directory.path)/passwd does not exist; add a first user with "
                + "`loft user add --config \(path) NAME` (it creates the file), or fix the path in the config",
        ], "\(result.errors)")
    }

    @Test("user = an account that does not exist: say how to create it, or that root is needed to switch")
    func unknownRunUser() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "127.0.0.1:0", extra: "user = \"no-such-user-loft\"\n")
        let result = try await Self.refusal(path)
        #expect(result.status != 0)
        let expected = geteuid() == 0
            ? "Error: user = \"no-such-user-loft\": no such user on this system; create it (useradd --system no-such-user-loft) "
                + "or name an existing one"
            : "Error: user = \"no-such-user-loft\": only root can switch to another user; start loft as root, "
                + "or remove user from the config to run as yourself"
        #expect(Self.errorLines(result.errors) == [expected], "\(result.errors)")
    }

    @Test("a private key that does not belong to the certificate")
    func keyMismatch() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["a", "b"] {
            let made = try await Subprocess.run("openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                "-subj", "/CN=mail.example.org", "-keyout", "\(directory.path)/\(name).key", "-out", "\(directory.path)/\(name).pem",
            ])
            try #require(made.status == 0, "\(made.errors)")
        }
        let path = try Self.config(in: directory, address: "127.0.0.1:0")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "tls = \"none\"", with: "tls = \"starttls\"")
            + "[tls]\ncertificate = \"a.pem\"\nprivate_key = \"b.key\"\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await Self.refusal(path)
        #expect(result.status != 0)
        #expect(Self.errorLines(result.errors) == [
            "Error: tls: private key \(directory.path)/b.key does not match certificate \(directory.path)/a.pem; "
                + "use the key the certificate was issued for (or a certificate for this key)",
        ], "\(result.errors)")
    }

    @Test("no message at start-up names a Swift type, a system call or an errno number")
    func noInternals() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.config(in: directory, address: "192.0.2.1:0")
        let result = try await Self.refusal(path)
        for word in ["errno", "descriptor:", "IOError", "Error(", "bind(", "NIO"] {
            #expect(!result.errors.contains(word), "\(result.errors)")
        }
    }
}

@Suite struct ListenFailureTests {
    @Test("the demo's port in use hints at a demo already running; other errors get the system's reason, no internals")
    func demoPortInUse() {
        let listener = ListenerConfiguration(protocol: .pop3, address: ListenAddress(host: "127.0.0.1", port: 1110), tls: .starttls)
        let inUse = ListenFailure.message(listener, IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)"), demo: true)
        #expect(inUse.hasPrefix("pop3 listener 127.0.0.1:1110: port 1110 is already in use by "))
        #expect(inUse.hasSuffix("; stop it first (is the demo already running?), or run loft with --config and other ports"))
        let other = ListenFailure.message(listener, IOError(errnoCode: EMFILE, reason: "socket(domain:type:protocol:)"), demo: false)
        #expect(other == "pop3 listener 127.0.0.1:1110: cannot listen: Too many open files")
    }
}
