import Foundation
import Testing
import TLS

/// The handler against the real `openssl s_client` and Python's `ssl` module.
@Suite struct HandshakeTests {
    /// A server with an RSA default certificate, an ECDSA certificate for other.example, and
    /// strict ALPN "pop3"; runs `body` and cleans up.
    private func withServer(_ body: (TestServer, ScratchDirectory) async throws -> Void) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let defaultFiles = try await Peers.opensslCertificate(commonName: "default.example", in: scratch)
        let otherFiles = try await Peers.opensslCertificate(commonName: "other.example", key: "ec", in: scratch)
        let provider = try TLSContextProvider(configuration: TLSServerConfiguration(
            certificate: defaultFiles, sniCertificates: ["Other.Example": otherFiles], applicationProtocol: "pop3"))
        let server = try await TestServer.start(provider)
        do {
            try await body(server, scratch)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test(arguments: [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
    func modernVersionsHandshakeAndCarryData(flag: String, version: String) async throws {
        try await withServer { server, scratch in
            let result = try await Peers.sClient(port: server.port, [flag], lines: ["hello", "INFO", "QUIT"], in: scratch)
            #expect(result.output.contains("+OK ready"))
            #expect(result.output.contains("ECHO hello"))
            #expect(result.output.contains("INFO version=\(version) sni=none alpn=none"))
            #expect(result.output.contains("+OK bye"))
            try await server.log.waitFor("inactive")
            #expect(server.log.all.contains("handshake \(version)"))
            #expect(!server.log.all.contains { $0.hasPrefix("error") })
        }
    }

    @Test(arguments: ["-tls1", "-tls1_1"])
    func oldVersionsAreRefused(flag: String) async throws {
        try await withServer { server, scratch in
            // SECLEVEL=0 lets the client even try TLS 1.0/1.1; the refusal must come from the server.
            let result = try await Peers.sClient(port: server.port, [flag, "-cipher", "DEFAULT@SECLEVEL=0"], in: scratch)
            #expect(!result.output.contains("+OK ready"))
            #expect(result.output.contains("alert protocol version"))
            try await server.log.waitFor("inactive")
            #expect(server.log.all.contains("error handshakeFailed"))
            #expect(server.log.all.contains { $0.contains("unsupported protocol") })
        }
    }

    @Test func alpnWithoutOurProtocolIsRefused() async throws {
        try await withServer { server, scratch in
            let result = try await Peers.sClient(port: server.port, ["-alpn", "imap"], in: scratch)
            #expect(!result.output.contains("+OK ready"))
            #expect(result.output.contains("no application protocol"))
            try await server.log.waitFor("inactive")
            #expect(server.log.all.contains("error handshakeFailed"))
        }
    }

    @Test func alpnWithOurProtocolOrNoneIsAccepted() async throws {
        try await withServer { server, scratch in
            let offered = try await Peers.sClient(port: server.port, ["-alpn", "imap,pop3"], in: scratch)
            #expect(offered.output.contains("INFO version=TLSv1.3 sni=none alpn=pop3"))
            let none = try await Peers.sClient(port: server.port, [], in: scratch)
            #expect(none.output.contains("INFO version=TLSv1.3 sni=none alpn=none"))
        }
    }

    @Test func sniChoosesTheCertificateCaseInsensitively() async throws {
        try await withServer { server, scratch in
            let other = try await Peers.sClient(port: server.port, ["-servername", "OTHER.example"], in: scratch)
            #expect(other.output.contains("subject=CN = other.example"))
            #expect(other.output.contains("sni=OTHER.example"))
            let unknown = try await Peers.sClient(port: server.port, ["-servername", "unknown.example"], in: scratch)
            #expect(unknown.output.contains("subject=CN = default.example"))
            let none = try await Peers.sClient(port: server.port, ["-noservername"], in: scratch)
            #expect(none.output.contains("subject=CN = default.example"))
        }
    }

    @Test func serverCloseSendsCloseNotify() async throws {
        try await withServer { server, scratch in
            let script = pythonPrelude + """
            s = context().wrap_socket(socket.create_connection(("127.0.0.1", port)))
            print(readline(s))
            s.sendall(b"QUIT\\r\\n")
            print(readline(s))
            try:
                print("clean eof" if s.recv(100) == b"" else "data after bye")
            except ssl.SSLError as e:
                print("unclean", e)
            """
            let result = try await Peers.python(script, port: server.port, in: scratch)
            #expect(result.output.contains("+OK bye\nclean eof"), "\(result.output)")
        }
    }

    @Test func clientCloseNotifyIsAnswered() async throws {
        try await withServer { server, scratch in
            let script = pythonPrelude + """
            s = context().wrap_socket(socket.create_connection(("127.0.0.1", port)))
            print(readline(s))
            s.unwrap()
            print("unwrapped")
            """
            let result = try await Peers.python(script, port: server.port, in: scratch)
            #expect(result.output.contains("unwrapped"), "\(result.output)")
            try await server.log.waitFor("inactive")
            #expect(!server.log.all.contains("error uncleanShutdown"))
        }
    }

    @Test func eofWithoutCloseNotifyIsReportedBeforeInactive() async throws {
        try await withServer { server, scratch in
            let script = pythonPrelude + """
            s = context().wrap_socket(socket.create_connection(("127.0.0.1", port)))
            print(readline(s))
            s.close()  # Python's close() sends no close_notify
            """
            _ = try await Peers.python(script, port: server.port, in: scratch)
            try await server.log.waitFor("inactive")
            let log = server.log.all
            let error = try #require(log.firstIndex(of: "error uncleanShutdown"))
            #expect(error < log.firstIndex(of: "inactive")!)
        }
    }

    @Test func plaintextOnTheTLSPortFailsTheHandshake() async throws {
        try await withServer { server, scratch in
            let script = pythonPrelude + """
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"USER alice\\r\\n")
            print("closed" if s.recv(100) == b"" else "answered")
            """
            let result = try await Peers.python(script, port: server.port, in: scratch)
            #expect(result.output.contains("closed"))
            try await server.log.waitFor("inactive")
            #expect(server.log.all.contains("error handshakeFailed"))
            #expect(!server.log.all.contains("handshake TLSv1.3"))
        }
    }

    @Test func emptyWritesCompleteInOrder() async throws {
        try await withServer { server, scratch in
            let result = try await Peers.sClient(port: server.port, [], lines: ["EMPTY", "QUIT"], in: scratch)
            #expect(result.output.contains("+OK before empty\r\n+OK after empty"))
            try await server.log.waitFor("inactive")
            let writes = server.log.all.filter { $0.hasPrefix("write ") }
            #expect(writes == ["write 1 done", "write 2 done", "write 3 done"])
        }
    }

    @Test func dataInTheSegmentOfTheClientFinishedIsRead() async throws {
        try await withServer { server, scratch in
            // A memory-BIO client sends its TLS 1.3 Finished and "INFO" in one sendall().
            let script = pythonPrelude + """
            sock = socket.create_connection(("127.0.0.1", port))
            sock.settimeout(5)
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = context().wrap_bio(incoming, outgoing)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    sock.sendall(outgoing.read())
                    incoming.write(sock.recv(65536))
            tls.write(b"INFO\\r\\n")
            sock.sendall(outgoing.read())
            received = b""
            try:
                while b"INFO version" not in received:
                    incoming.write(sock.recv(65536))
                    try:
                        while True:
                            received += tls.read(65536)
                    except ssl.SSLWantReadError:
                        pass
            except socket.timeout:
                print("timed out")
            print(received.decode())
            """
            let result = try await Peers.python(script, port: server.port, in: scratch)
            #expect(result.output.contains("INFO version=TLSv1.3"), "\(result.output)")
        }
    }
}
