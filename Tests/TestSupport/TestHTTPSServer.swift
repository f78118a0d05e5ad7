import Foundation

/// An HTTPS server for tests: Python's `http.server` wrapped in an `ssl.SSLContext` (Debian's
/// /usr/bin/python3), on one address and port, answering every GET with what `Response` says, as an
/// MTA-STS policy host does. Requests are logged ("GET <path> host=<Host>") to `log`. `stop()` ends it
/// by its PID (SIGKILL) and removes its files; call it in a `defer`.
public final class TestHTTPSServer: @unchecked Sendable {
    /// How the body is delimited, or how the server misbehaves.
    public enum Framing: String, Sendable {
        case contentLength = "length"
        case chunked
        /// No length: the body ends when the server closes (after a TLS close_notify).
        case untilClose = "close"
        /// Accepts the connection and the request, and never answers.
        case stall
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public var framing: Framing

        public init(status: Int = 200, headers: [String: String] = ["Content-Type": "text/plain"], body: String,
                    framing: Framing = .contentLength) {
            self.status = status
            self.headers = headers
            self.body = body
            self.framing = framing
        }

        /// A redirect to `location`.
        public static func redirect(to location: String, status: Int = 301) -> Response {
            Response(status: status, headers: ["Location": location], body: "moved\n")
        }
    }

    public let host: String
    public let port: Int
    private let directory: URL
    private let process: Process

    /// - Parameters:
    ///   - certificate: PEM chain and key paths.
    ///   - port: nil picks a free one.
    public init(host: String, port: Int? = nil, certificate: (chain: String, key: String), response: Response) throws {
        self.host = host
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-https-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("server.json")
        let config: [String: Any] = [
            "host": host, "port": port ?? 0, "cert": certificate.chain, "key": certificate.key,
            "status": response.status, "headers": response.headers, "body": response.body,
            "framing": response.framing.rawValue,
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        let logURL = directory.appendingPathComponent("server.log")
        try Data().write(to: logURL)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, configPath.path]
        process.standardOutput = try FileHandle(forWritingTo: logURL)
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        var bound: Int?
        while bound == nil {
            if let line = (try? String(contentsOf: logURL, encoding: .utf8))?.split(separator: "\n")
                .first(where: { $0.hasPrefix("READY ") }) {
                bound = Int(line.dropFirst("READY ".count))
                break
            }
            guard process.isRunning, Date() < deadline else {
                let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                try? FileManager.default.removeItem(at: directory)
                throw TestHTTPSServerFailure(description: "the HTTPS server on \(host) did not start: \(log)")
            }
            usleep(20_000)
        }
        self.port = bound ?? 0
    }

    deinit {
        stop()
    }

    /// Everything the server printed: a "GET ..." line per request, and Python's errors.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    /// How many GET requests arrived.
    public var requestCount: Int {
        log.split(separator: "\n").filter { $0.hasPrefix("GET ") }.count
    }

    /// SIGKILL by PID (children of the test runner ignore SIGTERM), then removes its files. Idempotent.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    static let script = #"""
    import http.server, json, socketserver, ssl, sys, time
    cfg = json.load(open(sys.argv[1]))

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            print("GET %s host=%s" % (self.path, self.headers.get("Host")), flush=True)
            framing = cfg["framing"]
            if framing == "stall":
                time.sleep(3600)
                return
            body = cfg["body"].encode()
            if framing == "chunked":
                self.protocol_version = "HTTP/1.1"
            self.send_response(cfg["status"])
            for name, value in cfg["headers"].items():
                self.send_header(name, value)
            if framing == "length":
                self.send_header("Content-Length", str(len(body)))
            elif framing == "chunked":
                self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            if framing == "chunked":
                for start in range(0, len(body), 1000):
                    piece = body[start:start + 1000]
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
            self.wfile.flush()
            if framing == "close":
                self.connection.unwrap()  # close_notify: the end of a close-delimited body

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cfg["cert"], cfg["key"])
    server = Server((cfg["host"], cfg["port"]), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()
    """#
}

public struct TestHTTPSServerFailure: Error, CustomStringConvertible {
    public var description: String
}
