import Foundation
import TestSupport

/// A private Postfix instance (Debian's `postfix` package) as a receiving MX: its own configuration, queue
/// and data directories and its mail log in a temporary directory, one `smtpd` on `host`:`port` with
/// STARTTLS (any certificate given), PIPELINING, DSN, 8BITMIME and SMTPUTF8, and virtual mailboxes (Maildirs
/// in the same directory) for the addresses it knows; any other address of its domain gets
/// `550 5.1.1 ... User unknown` at RCPT. Mail it would send on (its own DSNs) stays in its queue
/// (`defer_transports = smtp`), where `postcat` reads it.
///
/// The master daemon runs in the foreground (`master -d`) in a process group of its own; `stop()` ends it
/// by its PID (it takes its children down with it), then the group, then removes the directory. Needs root
/// (master starts as root and runs its services as the `postfix` user).
final class TestPostfix: @unchecked Sendable {
    static let daemonDirectory = "/usr/lib/postfix/sbin"

    /// Postfix is installed, and this process may start it.
    static var isUsable: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: daemonDirectory + "/master")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/postfix") && getpwnam("postfix") != nil
    }

    let host: String
    let port: Int
    let domain: String
    let directory: URL
    private var master: ChildProcess?

    var configDirectory: String { directory.path + "/etc" }
    var logPath: String { directory.path + "/maillog" }
    var mailDirectory: String { directory.path + "/mail" }

    /// - Parameters:
    ///   - mailboxes: the addresses it accepts (local part), each with the name of its Maildir.
    ///   - certificate: PEM chain and key for STARTTLS.
    init(host: String, port: Int, domain: String, hostname: String, mailboxes: [String: String],
         certificate: (chain: String, key: String)) throws {
        self.host = host
        self.port = port
        self.domain = domain
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-postfix-\(UUID().uuidString)")
        do {
            try setUp(hostname: hostname, mailboxes: mailboxes, certificate: certificate)
            try start()
        } catch {
            stop()
            throw error
        }
    }

    private func setUp(hostname: String, mailboxes: [String: String], certificate: (chain: String, key: String)) throws {
        guard let account = getpwnam("postfix") else { throw Failure("no postfix user") }
        let uid = account.pointee.pw_uid, gid = account.pointee.pw_gid
        let files = FileManager.default
        for sub in ["etc", "queue", "data", "mail"] {
            try files.createDirectory(atPath: directory.path + "/" + sub, withIntermediateDirectories: true)
        }
        // Postfix wants its data directory and the mailboxes as its own user; `postfix check` makes the queue.
        for owned in ["data", "mail"] { chown(directory.path + "/" + owned, uid, gid) }
        let root = directory.path
        // Everything not set here is Postfix 3.7's default (postconf -d).
        let main = """
            compatibility_level = 3.6
            config_directory = \(root)/etc
            queue_directory = \(root)/queue
            data_directory = \(root)/data
            mail_owner = postfix
            myhostname = \(hostname)
            mydomain = \(domain)
            mydestination =
            # Postfix refuses an inet_interfaces address that no interface carries (127.0.0.6 is routed to lo,
            # but lo carries only 127.0.0.1), and nothing listens on it anyway: the one smtpd service in
            # master.cf names its address itself.
            inet_interfaces = loopback-only
            inet_protocols = ipv4
            mynetworks = 127.0.0.6/32
            # The client is remote: no header is rewritten or added (Postfix adds Date and Message-Id for local
            # clients), so what Loft sent arrives byte for byte.
            local_header_rewrite_clients =
            smtputf8_enable = yes
            smtpd_peername_lookup = no
            # A client that sends commands ahead of time where RFC 2920 does not allow it, or a bare LF in the
            # message, is refused: the client under test must get both right.
            smtpd_forbid_unauth_pipelining = yes
            smtpd_forbid_bare_newline = yes
            smtpd_forbid_bare_newline_exclusions =
            smtpd_tls_security_level = may
            smtpd_tls_cert_file = \(certificate.chain)
            smtpd_tls_key_file = \(certificate.key)
            # 4: the plaintext of every TLS read and write is logged ("Read 96 chars: MAIL FROM:..."), which
            # shows what the client sent in one go.
            smtpd_tls_loglevel = 4
            # The TLS version and cipher in Postfix's Received field.
            smtpd_tls_received_header = yes
            # Every SMTP command and reply of loopback clients is logged ("< unknown[127.0.0.1]: RCPT TO:...").
            debug_peer_list = 127.0.0.1
            virtual_mailbox_domains = \(domain)
            virtual_mailbox_base = \(root)/mail
            virtual_mailbox_maps = texthash:\(root)/etc/mailboxes
            virtual_uid_maps = static:\(uid)
            virtual_gid_maps = static:\(gid)
            alias_maps =
            alias_database =
            defer_transports = smtp
            maillog_file = \(logPath)
            maillog_file_prefixes = \(root)

            """
        // Postfix's own master.cf, reduced to the services this needs, none chrooted.
        let masterServices = """
            \(host):\(port) inet n - n - - smtpd
            cleanup   unix n - n - 0 cleanup
            qmgr      unix n - n 300 1 qmgr
            tlsmgr    unix - - n 1000? 1 tlsmgr
            rewrite   unix - - n - - trivial-rewrite
            bounce    unix - - n - 0 bounce
            defer     unix - - n - 0 bounce
            trace     unix - - n - 0 bounce
            verify    unix - - n - 1 verify
            flush     unix n - n 1000? 0 flush
            proxymap  unix - - n - - proxymap
            smtp      unix - - n - - smtp
            showq     unix n - n - - showq
            error     unix - - n - - error
            retry     unix - - n - - error
            discard   unix - - n - - discard
            virtual   unix - n n - - virtual
            anvil     unix - - n - 1 anvil
            scache    unix - - n - 1 scache
            postlog   unix-dgram n - n - 1 postlogd

            """
        // A trailing "/" makes the mailbox a Maildir (virtual(8)).
        let table = mailboxes.sorted { $0.key < $1.key }.map { "\($0.key)@\(domain) \($0.value)/\n" }.joined()
        try Data(main.utf8).write(to: URL(fileURLWithPath: configDirectory + "/main.cf"))
        try Data(masterServices.utf8).write(to: URL(fileURLWithPath: configDirectory + "/master.cf"))
        try Data(table.utf8).write(to: URL(fileURLWithPath: configDirectory + "/mailboxes"))
        try Data().write(to: URL(fileURLWithPath: logPath))
        // Creates the queue directories with Postfix's owners and modes, and checks the configuration.
        let check = try Self.run("/usr/sbin/postfix", ["-c", configDirectory, "check"])
        guard check.status == 0 else { throw Failure("postfix check failed (\(check.status)): \(check.output) \(log)") }
    }

    private func start() throws {
        master = try ChildProcess(
            executable: Self.daemonDirectory + "/master", arguments: ["-c", configDirectory, "-d"],
            outputPath: directory.path + "/master.out", ownProcessGroup: true)
        let deadline = Date().addingTimeInterval(15)
        while !log.contains("daemon started") {
            guard let master, master.isRunning, Date() < deadline else {
                let output = (try? String(contentsOfFile: directory.path + "/master.out", encoding: .utf8)) ?? ""
                throw Failure("Postfix did not start on \(host):\(port): \(output) \(log)")
            }
            usleep(20_000)
        }
    }

    /// Postfix's mail log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for a log line containing every one of `parts`, and returns it.
    func waitForLog(containing parts: [String], timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = log.split(separator: "\n").first(where: { line in parts.allSatisfy { line.contains($0) } }) {
                return String(line)
            }
            guard ContinuousClock.now < deadline else { throw Failure("no Postfix log line with \(parts): \(log.suffix(4000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The messages delivered into the Maildir `mailbox` (as named in `mailboxes`), oldest first.
    func messages(in mailbox: String) -> [[UInt8]] {
        let new = mailDirectory + "/" + mailbox + "/new"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: new)) ?? []).sorted()
        return names.compactMap { FileManager.default.contents(atPath: new + "/" + $0).map { [UInt8]($0) } }
    }

    func waitForMessages(in mailbox: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + timeout
        while messages(in: mailbox).count < count {
            guard ContinuousClock.now < deadline else { throw Failure("\(mailbox) got \(messages(in: mailbox).count) messages: \(log.suffix(4000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return messages(in: mailbox)
    }

    /// A message in Postfix's queue, as `postcat` prints it (envelope records, then the content).
    func queuedMessage(id: String) throws -> String {
        let result = try Self.run("/usr/sbin/postcat", ["-c", configDirectory, "-q", id])
        guard result.status == 0 else { throw Failure("postcat -q \(id) failed: \(result.output)") }
        return result.output
    }

    /// Ends master (SIGTERM: it stops its services), then anything left in its process group, and removes
    /// the directory. Idempotent.
    func stop() {
        if let master {
            master.end(grace: 5)
            kill(-master.pid, SIGKILL)  // the group is master's own: only the services it started
            self.master = nil
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        stop()
    }

    /// Runs a Postfix command line tool to completion; its exit status and its output (stdout and stderr).
    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
