import Foundation
import TestSupport

/// A receiving SMTP server for outbound tests: Debian's aiosmtpd (under /usr/bin/python3, where the
/// `python3-aiosmtpd` package lives) on one loopback address, with STARTTLS when given a certificate, and
/// scripted failures. Every message it accepts is written to `directory` as `<n>.eml` beside `<n>.json`
/// (envelope and whether TLS was up).
final class TestMX: @unchecked Sendable {
    struct Received: Decodable {
        var mailFrom: String
        var rcptTos: [String]
        var mailOptions: [String]
        var tls: String?
        /// The login of a client that authenticated (AUTH PLAIN or LOGIN), if one did.
        var login: String?
        var file: String

        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from", rcptTos = "rcpt_tos", mailOptions = "mail_options", tls, login, file
        }
    }

    struct Behaviour {
        /// STARTTLS with this certificate and key (PEM paths); nil: STARTTLS not offered.
        var certificate: (String, String)?
        /// RCPT TO of these addresses is refused with this reply, e.g. "550 5.1.1 no such user".
        var refuse: [String: String] = [:]
        /// The first N transactions get "451 4.3.0 try again later" after DATA.
        var temporaryFailures = 0
        /// Every transaction gets this reply after DATA instead of 250 (e.g. a permanent 4xx server).
        var dataReply: String?
        /// Seconds to wait before answering the final "." (to kill the client meanwhile).
        var stallAfterData = 0.0
        /// TLS from the first byte (a port-465 relay) with `certificate`, instead of STARTTLS.
        var implicitTLS = false
        /// AUTH PLAIN/LOGIN offered (over TLS only) and required, accepting this user and password.
        var credentials: (String, String)?
    }

    let host: String
    let port: Int
    let directory: URL
    private let process: Process

    init(host: String, port: Int, behaviour: Behaviour) throws {
        self.host = host
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-mx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "host": host, "port": port, "out": directory.path,
            "cert": behaviour.certificate?.0 ?? "", "key": behaviour.certificate?.1 ?? "",
            "refuse": behaviour.refuse, "tempfail": behaviour.temporaryFailures,
            "data_reply": behaviour.dataReply ?? "", "stall": behaviour.stallAfterData,
            "implicit": behaviour.implicitTLS, "user": behaviour.credentials?.0 ?? "", "password": behaviour.credentials?.1 ?? "",
        ]
        let configPath = directory.appendingPathComponent("mx.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        let log = directory.appendingPathComponent("mx.log")
        try Data().write(to: log)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, configPath.path]
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while !self.log.contains("READY") {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw Failure("test MX on \(host):\(port) did not start: \(self.log)")
            }
            usleep(20_000)
        }
    }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("mx.log"), encoding: .utf8)) ?? "" }

    /// The messages accepted so far, in order, with their bytes.
    func received() -> [(envelope: Received, message: [UInt8])] {
        var result: [(Received, [UInt8])] = []
        var index = 1
        while let json = FileManager.default.contents(atPath: directory.appendingPathComponent("\(index).json").path),
              let envelope = try? JSONDecoder().decode(Received.self, from: json),
              let message = FileManager.default.contents(atPath: envelope.file) {
            result.append((envelope, [UInt8](message)))
            index += 1
        }
        return result
    }

    /// Waits until `count` messages have arrived (or `timeout` passed) and returns what arrived.
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(30)) async -> [(envelope: Received, message: [UInt8])] {
        let deadline = ContinuousClock.now + timeout
        while received().count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return received()
    }

    /// SIGKILL (children of the test runner ignore SIGTERM), then removes its files.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A free TCP port on 127.0.0.1 (see `FreePort`: outside the kernel's range for port 0).
    static func freePort() throws -> Int {
        try FreePort.loopback()
    }

    static let script = #"""
    import asyncio, json, os, ssl, sys, time
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    cfg = json.load(open(sys.argv[1]))
    state = {"count": 0, "transactions": 0}

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            reply = cfg["refuse"].get(address)
            if reply:
                return reply
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"

        async def handle_DATA(self, server, session, envelope):
            state["transactions"] += 1
            print("DATA-RECEIVED", flush=True)
            if cfg["stall"]:
                await asyncio.sleep(cfg["stall"])
            if state["transactions"] <= cfg["tempfail"]:
                return "451 4.3.0 try again later"
            if cfg["data_reply"]:
                return cfg["data_reply"]
            state["count"] += 1
            n = state["count"]
            path = os.path.join(cfg["out"], "%d.eml" % n)
            with open(path, "wb") as f:
                f.write(envelope.original_content)
            tls = None
            obj = server.transport.get_extra_info("ssl_object") if server.transport else None
            if obj is None and session.ssl:
                obj = session.ssl.get("ssl_object")
            if obj is not None:
                tls = obj.version()
            with open(os.path.join(cfg["out"], "%d.json.tmp" % n), "w") as f:
                login = session.auth_data if session.authenticated else None
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "mail_options": envelope.mail_options, "tls": tls, "login": login, "file": path}, f)
            os.rename(os.path.join(cfg["out"], "%d.json.tmp" % n), os.path.join(cfg["out"], "%d.json" % n))
            return "250 2.0.0 OK queued as %d" % n

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == cfg["user"] and auth_data.password.decode() == cfg["password"]
        return AuthResult(success=ok, auth_data=auth_data.login.decode())

    context = None
    if cfg["cert"]:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cfg["cert"], cfg["key"])
    options = dict(require_starttls=False, enable_SMTPUTF8=True, decode_data=False, ready_timeout=10)
    if cfg["user"]:
        # Implicit TLS is invisible to aiosmtpd's own TLS check: it requires TLS only for STARTTLS servers.
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=not cfg["implicit"])
    if cfg["implicit"]:
        options.update(ssl_context=context, server_hostname=cfg["host"])
    else:
        options.update(tls_context=context)
    controller = Controller(Handler(), hostname=cfg["host"], port=cfg["port"], **options)
    controller.start()
    print("READY", flush=True)
    while True:
        time.sleep(3600)
    """#
}
