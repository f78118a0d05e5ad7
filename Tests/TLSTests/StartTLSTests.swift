import Testing
import TLS

/// The handler inserted at `.first` on an active plaintext channel, driven by Python's ssl.
@Suite struct StartTLSTests {
    @Test func startTLSUpgradesAnActiveChannel() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let files = try await Peers.opensslCertificate(commonName: "mail.example", key: "ec", in: scratch)
        let provider = try TLSContextProvider(configuration: TLSServerConfiguration(certificate: files))
        let server = try await TestServer.start(provider, mode: .startTLS)
        let script = pythonPrelude + """
        raw = socket.create_connection(("127.0.0.1", port))
        print("plain:", readline(raw))
        raw.sendall(b"STARTTLS\\r\\n")
        print("plain:", readline(raw))
        s = context().wrap_socket(raw, server_hostname="mail.example")
        s.sendall(b"INFO\\r\\n")
        print("tls:", readline(s))
        s.sendall(b"QUIT\\r\\n")
        print("tls:", readline(s))
        print("clean eof" if s.recv(100) == b"" else "data after bye")
        """
        let result = try await Peers.python(script, port: server.port, in: scratch)
        try await server.stop()
        #expect(result.output == """
            plain: +OK ready
            plain: OK
            tls: INFO version=TLSv1.3 sni=mail.example alpn=none
            tls: +OK bye
            clean eof

            """, "\(result.output)")
    }
}
