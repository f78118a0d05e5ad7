import Config
import Delivery
import Foundation
import TestSupport
import Testing

/// The https listener of a real `loft serve`, fetched by Python (`urllib.request`, `http.client`, `ssl`)
/// trusting a test CA whose certificate covers mail.example.org, mta-sts.example.org,
/// autoconfig.example.org and 127.0.0.1; each document parsed with `xml.etree` or `plistlib` and
/// compared with the listeners the server reported binding.
@Suite(.serialized) struct HTTPSEndToEndTests {
    static let mailListeners = [
        ("pop3", "starttls"), ("pop3", "implicit"), ("submission", "starttls"), ("submission", "implicit"),
        ("imap", "starttls"), ("imap", "implicit"), ("imap", "none"),
    ]
    static let mtaSTSConfig = "\n[mta_sts]\nmode = \"enforce\"\nmax_age = \"1d\"\n"

    /// A server with the mail listeners above and an https listener, its certificate issued by `ca`.
    static func startServer(_ ca: TestCertificateAuthority, extraConfig: String = "") async throws -> LoftProcess {
        let server = try LoftProcess(listeners: mailListeners + [("https", "implicit")], extraConfig: mtaSTSConfig + extraConfig)
        let certificate = try ca.issue(
            dnsNames: ["mail.example.org", "mta-sts.example.org", "autoconfig.example.org", "autodiscover.example.org", "mta-sts.other.test"],
            ipAddresses: ["127.0.0.1"])
        try? FileManager.default.removeItem(atPath: server.certificatePath)
        try FileManager.default.copyItem(atPath: certificate.chainPath, toPath: server.certificatePath)
        try? FileManager.default.removeItem(atPath: server.certificateKeyPath)
        try FileManager.default.copyItem(atPath: certificate.privateKeyPath, toPath: server.certificateKeyPath)
        try await server.start(expectedListeners: mailListeners.count + 1)
        return server
    }

    /// Python's side: `fetch` over urllib with the Host header, `raw` over http.client with an SNI name of
    /// choice; the CA file is argv[1], the https port argv[2].
    static let prelude = #"""
        import http.client, json, plistlib, socket, ssl, sys, urllib.error, urllib.request
        import xml.etree.ElementTree as ET
        ca, port = sys.argv[1], int(sys.argv[2])

        def context(alpn=None):
            c = ssl.create_default_context(cafile=ca)
            if alpn: c.set_alpn_protocols(alpn)
            return c

        def fetch(path, host, method="GET", body=None, headers=None):
            request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=body, method=method,
                                             headers=dict({"Host": host}, **(headers or {})))
            try:
                with urllib.request.urlopen(request, context=context(), timeout=20) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers), error.read()

        class SNIConnection(http.client.HTTPSConnection):
            def __init__(self, sni, alpn=None):
                super().__init__("127.0.0.1", port, context=context(alpn), timeout=20)
                self.sni = sni
            def connect(self):
                sock = socket.create_connection(("127.0.0.1", port), timeout=20)
                self.sock = self._context.wrap_socket(sock, server_hostname=self.sni)

        def text(element, name):
            found = element.find(name)
            return None if found is None else found.text

        """#

    static func ports(_ server: LoftProcess) -> [String: Int] {
        var ports: [String: Int] = [:]
        for (proto, tls) in mailListeners + [("https", "implicit")] { ports["\(proto)/\(tls)"] = server.port(tls, protocol: proto) }
        return ports
    }

    static func run(_ script: String, _ ca: TestCertificateAuthority, _ server: LoftProcess) async throws -> [String: Any] {
        let result = try await Subprocess.python(prelude + script, [ca.certificatePath, "\(server.port("implicit", protocol: "https"))"])
        try #require(result.status == 0, "\(result.errors)\n\(server.log)")
        let json = try JSONSerialization.jsonObject(with: result.stdout)
        return try #require(json as? [String: Any], "\(result.output)")
    }

    @Test("MTA-STS policy, Thunderbird autoconfig, Autodiscover and the Apple profile describe the real listeners")
    func documents() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let server = try await Self.startServer(ca)
        defer { server.cleanUpNow() }
        let found = try await Self.run(#"""
            out = {}
            status, headers, body = fetch("/.well-known/mta-sts.txt", "mta-sts.example.org")
            fields = {}
            for line in body.decode().split("\r\n"):
                if line:
                    key, value = line.split(": ", 1)
                    fields.setdefault(key, []).append(value)
            out["mta_sts"] = {"status": status, "type": headers["Content-Type"], "text": body.decode(), "fields": fields,
                              "crlf": int(body.count(b"\r\n") == body.count(b"\n"))}

            def thunderbird(path, host):
                status, headers, body = fetch(path, host)
                root = ET.fromstring(body)
                provider = root.find("emailProvider")
                servers = [[s.tag, s.get("type"), text(s, "hostname"), int(text(s, "port")), text(s, "socketType"),
                            text(s, "authentication"), text(s, "username")]
                           for s in provider if s.tag in ("incomingServer", "outgoingServer")]
                return {"status": status, "type": headers["Content-Type"], "root": root.tag, "version": root.get("version"),
                        "id": provider.get("id"), "domain": text(provider, "domain"), "servers": servers}
            out["autoconfig"] = thunderbird("/mail/config-v1.1.xml?emailaddress=alice%40example.org", "autoconfig.example.org")
            out["wellknown"] = thunderbird("/.well-known/autoconfig/mail/config-v1.1.xml", "example.org")

            request = ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
                       'autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@example.org</EMailAddress>'
                       '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'
                       '</AcceptableResponseSchema></Request></Autodiscover>').encode()
            status, headers, body = fetch("/autodiscover/autodiscover.xml", "autodiscover.example.org", "POST", request,
                                          {"Content-Type": "text/xml"})
            ns = {"a": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}
            account = ET.fromstring(body).find("a:Response/a:Account", ns)
            def field(p, name): return p.find("a:" + name, ns).text
            out["autodiscover"] = {"status": status, "type": account.find("a:AccountType", ns).text,
                                   "protocols": [[field(p, "Type"), field(p, "Server"), int(field(p, "Port")), field(p, "SSL"),
                                                  field(p, "Encryption"), field(p, "LoginName")]
                                                 for p in account.findall("a:Protocol", ns)]}

            status, headers, body = fetch("/apple/mobileconfig?emailaddress=alice%40example.org", "mail.example.org")
            profile = plistlib.loads(body)
            account = profile["PayloadContent"][0]
            out["apple"] = {"status": status, "type": headers["Content-Type"], "payload": account["PayloadType"],
                            "account": account["EmailAccountType"],
                            "incoming": [account["IncomingMailServerHostName"], account["IncomingMailServerPortNumber"],
                                         int(account["IncomingMailServerUseSSL"]), account["IncomingMailServerUsername"]],
                            "outgoing": [account["OutgoingMailServerHostName"], account["OutgoingMailServerPortNumber"],
                                         int(account["OutgoingMailServerUseSSL"]), account["OutgoingMailServerUsername"]]}
            print(json.dumps(out))
            """#, ca, server)
        let ports = Self.ports(server)
        func port(_ key: String) -> Int { ports[key] ?? -1 }

        let policy = MTASTSPublishedPolicy(settings: MTASTSSettings(mode: .enforce, maxAge: 86400), hostname: "mail.example.org")
        let mtaSTS = try #require(found["mta_sts"] as? [String: Any])
        #expect(mtaSTS["status"] as? Int == 200)
        #expect(mtaSTS["type"] as? String == "text/plain; charset=utf-8")
        #expect(mtaSTS["text"] as? String == policy.text)
        #expect(mtaSTS["crlf"] as? Int == 1)
        #expect(mtaSTS["fields"] as? [String: [String]]
                == ["version": ["STSv1"], "mode": ["enforce"], "mx": ["mail.example.org"], "max_age": ["86400"]])

        let incoming = [
            ["incomingServer", "imap", "mail.example.org", port("imap/implicit"), "SSL"],
            ["incomingServer", "imap", "mail.example.org", port("imap/starttls"), "STARTTLS"],
            ["incomingServer", "pop3", "mail.example.org", port("pop3/implicit"), "SSL"],
            ["incomingServer", "pop3", "mail.example.org", port("pop3/starttls"), "STARTTLS"],
            ["outgoingServer", "smtp", "mail.example.org", port("submission/implicit"), "SSL"],
            ["outgoingServer", "smtp", "mail.example.org", port("submission/starttls"), "STARTTLS"],
        ].map { $0 + ["password-cleartext", "%EMAILADDRESS%"] }
        for key in ["autoconfig", "wellknown"] {
            let document = try #require(found[key] as? [String: Any])
            #expect(document["status"] as? Int == 200)
            #expect(document["type"] as? String == "application/xml; charset=utf-8")
            #expect(document["root"] as? String == "clientConfig" && document["version"] as? String == "1.1")
            #expect(document["id"] as? String == "example.org" && document["domain"] as? String == "example.org")
            let servers = try #require(document["servers"] as? [[Any]])
            #expect(servers.map { $0.map { "\($0)" } } == incoming.map { $0.map { "\($0)" } }, "the plaintext IMAP listener is left out")
        }

        let autodiscover = try #require(found["autodiscover"] as? [String: Any])
        #expect(autodiscover["status"] as? Int == 200 && autodiscover["type"] as? String == "email")
        let protocolEntries = try #require(autodiscover["protocols"] as? [[Any]])
        let protocols = protocolEntries.map { $0.map { "\($0)" } }
        #expect(protocols == [
            ["IMAP", "mail.example.org", "\(port("imap/implicit"))", "on", "SSL", "alice@example.org"],
            ["IMAP", "mail.example.org", "\(port("imap/starttls"))", "on", "TLS", "alice@example.org"],
            ["POP3", "mail.example.org", "\(port("pop3/implicit"))", "on", "SSL", "alice@example.org"],
            ["POP3", "mail.example.org", "\(port("pop3/starttls"))", "on", "TLS", "alice@example.org"],
            ["SMTP", "mail.example.org", "\(port("submission/implicit"))", "on", "SSL", "alice@example.org"],
            ["SMTP", "mail.example.org", "\(port("submission/starttls"))", "on", "TLS", "alice@example.org"],
        ])

        let apple = try #require(found["apple"] as? [String: Any])
        #expect(apple["status"] as? Int == 200 && apple["type"] as? String == "application/x-apple-aspen-config")
        #expect(apple["payload"] as? String == "com.apple.mail.managed" && apple["account"] as? String == "EmailTypeIMAP")
        #expect((apple["incoming"] as? [Any])?.map { "\($0)" } == ["mail.example.org", "\(port("imap/implicit"))", "1", "alice@example.org"])
        #expect((apple["outgoing"] as? [Any])?.map { "\($0)" }
                == ["mail.example.org", "\(port("submission/implicit"))", "1", "alice@example.org"])
    }

    @Test("404, 405, 400, a huge header, keep-alive, SNI of a foreign domain, and a wrong ALPN id")
    func protocolErrors() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let server = try await Self.startServer(ca)
        defer { server.cleanUpNow() }
        let found = try await Self.run(#"""
            out = {}
            status, headers, _ = fetch("/nothing-here", "mail.example.org")
            out["unknown"] = status
            status, headers, _ = fetch("/.well-known/mta-sts.txt", "mta-sts.example.org", "POST", b"x")
            out["post_policy"] = [status, headers.get("Allow")]
            status, headers, _ = fetch("/autodiscover/autodiscover.xml", "example.org")
            out["get_autodiscover"] = [status, headers.get("Allow")]
            status, _, _ = fetch("/autodiscover/autodiscover.xml", "example.org", "POST", b"<Autodiscover>")
            out["bad_autodiscover"] = status
            status, _, _ = fetch("/autodiscover/autodiscover.xml", "example.org", "POST", b"<a>" + b" " * 20000 + b"</a>")
            out["big_autodiscover"] = status
            status, _, _ = fetch("/.well-known/mta-sts.txt", "mta-sts.other.test")
            out["foreign_host"] = status

            # SNI and Host of a domain that is not local (the certificate covers the name, the server has no policy for it).
            c = SNIConnection("mta-sts.other.test")
            c.request("GET", "/.well-known/mta-sts.txt", headers={"Host": "mta-sts.other.test"})
            out["foreign_sni"] = c.getresponse().status
            c.close()

            # Two requests on one connection.
            c = SNIConnection("mta-sts.example.org")
            c.request("GET", "/.well-known/mta-sts.txt", headers={"Host": "mta-sts.example.org"})
            first = c.getresponse()
            first.read()
            sock = c.sock
            c.request("HEAD", "/.well-known/mta-sts.txt", headers={"Host": "mta-sts.example.org"})
            second = c.getresponse()
            out["keepalive"] = [first.status, int(first.will_close), second.status, int(second.read() == b""), int(c.sock is sock),
                                int(second.getheader("Content-Length") == first.getheader("Content-Length"))]
            c.close()

            # A header far over the limit: an error status, the connection closed, the server still serving.
            raw = context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="mail.example.org")
            reply = b""
            try:
                raw.sendall(b"GET / HTTP/1.1\r\nHost: mail.example.org\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
                while True:
                    chunk = raw.recv(65536)
                    if not chunk: break
                    reply += chunk
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                pass  # the server may close while the header is still being sent
            raw.close()
            out["huge_header"] = reply.split(b"\r\n", 1)[0].decode()
            out["after_huge"] = fetch("/.well-known/mta-sts.txt", "mta-sts.example.org")[0]

            # ALPN: a mail protocol's id is refused as on the mail ports; http/1.1 is what is spoken.
            try:
                context(["imap"]).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                                              server_hostname="mail.example.org").close()
                out["alpn_imap"] = "accepted"
            except ssl.SSLError as error:
                out["alpn_imap"] = "refused"
            s = context(["h2", "http/1.1"]).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                                                        server_hostname="mail.example.org")
            out["alpn_http"] = s.selected_alpn_protocol()
            s.close()
            print(json.dumps(out))
            """#, ca, server)
        #expect(found["unknown"] as? Int == 404)
        #expect((found["post_policy"] as? [Any])?.map { "\($0)" } == ["405", "GET, HEAD"])
        #expect((found["get_autodiscover"] as? [Any])?.map { "\($0)" } == ["405", "POST"])
        #expect(found["bad_autodiscover"] as? Int == 400)
        #expect(found["big_autodiscover"] as? Int == 413)
        #expect(found["foreign_host"] as? Int == 404)
        #expect(found["foreign_sni"] as? Int == 404)
        #expect((found["keepalive"] as? [Any])?.map { "\($0)" } == ["200", "0", "200", "1", "1", "1"])
        let huge = try #require(found["huge_header"] as? String)
        #expect(huge == "HTTP/1.1 400 Bad Request" || huge == "HTTP/1.1 431 Request Header Fields Too Large", "\(huge)")
        #expect(found["after_huge"] as? Int == 200)
        #expect(found["alpn_imap"] as? String == "refused")
        #expect(found["alpn_http"] as? String == "http/1.1")
    }

    @Test("over max_connections_per_ip a client gets 503; a client that never finishes its request is closed")
    func limits() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let server = try await Self.startServer(ca, extraConfig: "\n[limits]\nmax_connections_per_ip = 1\n")
        defer { server.cleanUpNow() }
        let found = try await Self.run(#"""
            out = {}
            slow = context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60), server_hostname="mail.example.org")
            slow.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.exa")
            second = context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="mail.example.org")
            reply = b""
            while True:
                chunk = second.recv(4096)
                if not chunk: break
                reply += chunk
            out["second"] = reply.split(b"\r\n", 1)[0].decode()
            # The first one never completes its head: the server closes it (request timeout), with no response.
            try:
                out["slow"] = slow.recv(4096).decode()
            except (ConnectionResetError, ssl.SSLError) as error:
                out["slow"] = ""
            print(json.dumps(out))
            """#, ca, server)
        #expect(found["second"] as? String == "HTTP/1.1 503 Service Unavailable")
        #expect(found["slow"] as? String == "")
    }

    @Test("behind a load balancer: the PROXY header comes before the TLS handshake, then HTTPS as usual")
    func proxyProtocol() async throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let proxied = "\n[[listener]]\nprotocol = \"https\"\naddress = \"127.0.0.1:0\"\ntls = \"implicit\"\n"
            + "proxy_protocol = true\nproxy_trusted = [\"127.0.0.1\"]\n"
        let server = try LoftProcess(listeners: [], extraConfig: proxied)
        defer { server.cleanUpNow() }
        let certificate = try ca.issue(dnsNames: ["mta-sts.example.org"], ipAddresses: ["127.0.0.1"])
        try FileManager.default.copyItem(atPath: certificate.chainPath, toPath: server.certificatePath)
        try FileManager.default.copyItem(atPath: certificate.privateKeyPath, toPath: server.certificateKeyPath)
        try await server.start(expectedListeners: 1)
        let found = try await Self.run(#"""
            sock = socket.create_connection(("127.0.0.1", port), timeout=20)
            sock.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 443\r\n")
            tls = context().wrap_socket(sock, server_hostname="mta-sts.example.org")
            tls.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.org\r\nConnection: close\r\n\r\n")
            reply = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk: break
                reply += chunk
            print(json.dumps({"status": reply.split(b"\r\n", 1)[0].decode(), "body": reply.split(b"\r\n\r\n", 1)[1].decode()}))
            """#, ca, server)
        #expect(found["status"] as? String == "HTTP/1.1 200 OK")
        #expect(found["body"] as? String == MTASTSPublishedPolicy(settings: MTASTSSettings(), hostname: "mail.example.org").text)
    }
}
