import Foundation
import Testing
import TestSupport
import TLS

/// `TLSClientHandler` as a connection: SNI, ALPN, STARTTLS insertion, the version floor and the
/// ends of a connection, against `openssl s_server` and against Loft's own `TLSServerHandler`.
@Suite struct ClientHandshakeTests {
    /// Loft's test server (`LineTestHandler` behind `TLSServerHandler`) with a CA-issued
    /// certificate for mx.example and strict ALPN "smtp".
    private func withLoftServer(_ fixture: ClientFixture, mode: TestServer.Mode = .implicitTLS,
                                _ body: (TestServer) async throws -> Void) async throws {
        let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
        let files = TLSCertificateFiles(certificatePath: leaf.chainPath, privateKeyPath: leaf.privateKeyPath)
        let provider = try TLSContextProvider(configuration: TLSServerConfiguration(certificate: files, applicationProtocol: "smtp"))
        let server = try await TestServer.start(provider, mode: mode)
        do {
            try await body(server)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test func loftServerSeesSNIAndALPNAndTheClientCloseIsClean() async throws {
        try await ClientFixture.with { fixture in
            try await withLoftServer(fixture) { server in
                let expectation = TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"])
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(), expectation: expectation,
                                          applicationProtocols: ["smtp"], linesOnceSecure: ["INFO"]) { client in
                    let info = try await client.log.handshake()
                    #expect(info.verification == .verified(matchedName: "mx.example"))
                    #expect(info.applicationProtocol == "smtp")
                    #expect(info.peerChain.count == 2)
                    _ = try await client.log.line(startingWith: "+OK ready")
                    let reply = try await client.log.line(startingWith: "INFO")
                    #expect(reply == "INFO version=TLSv1.3 sni=mx.example alpn=smtp")
                    try await client.channel.close()
                }
                // Our close sent close_notify: the server saw a clean end.
                try await server.log.waitFor("inactive")
                #expect(!server.log.all.contains { $0.hasPrefix("error") }, "\(server.log.all)")
            }
        }
    }

    @Test func serverCloseNotifyEndsTheClientCleanly() async throws {
        try await ClientFixture.with { fixture in
            try await withLoftServer(fixture) { server in
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(),
                                          expectation: TLSPeerExpectation(serverName: "mx.example"),
                                          linesOnceSecure: ["QUIT"]) { client in
                    _ = try await client.log.line(startingWith: "+OK bye")
                    _ = try await client.log.wait(for: "end of connection") { $0.inactive ? true : nil }
                    #expect(client.log.current.tlsErrors.isEmpty, "\(client.log.current)")
                }
                try await server.log.waitFor("inactive")
                #expect(!server.log.all.contains("error uncleanShutdown"))
            }
        }
    }

    @Test func daneSendsTheBaseDomainAsSNIWhenNoServerNameIsGiven() async throws {
        try await ClientFixture.with { fixture in
            try await withLoftServer(fixture) { server in
                // RFC 7672 section 8.1: SNI carries the TLSA base domain.
                let ca = TLSAData(usage: 2, selector: 0, matchingType: 1, data: fixture.ca.certificateSHA256)
                let expectation = TLSPeerExpectation(tlsa: [ca], daneBaseDomain: "mx.example")
                try await TestClient.with(port: server.port, context: fixture.trustingTheSystem(), expectation: expectation,
                                          linesOnceSecure: ["INFO"]) { client in
                    let info = try await client.log.handshake()
                    #expect(info.verification == .daneVerified(authorityDepth: 1, matchedName: "mx.example"))
                    let reply = try await client.log.line(startingWith: "INFO")
                    #expect(reply == "INFO version=TLSv1.3 sni=mx.example alpn=none")
                }
            }
        }
    }

    @Test func startTLSInsertsTheHandlerIntoAnActiveChannel() async throws {
        try await ClientFixture.with { fixture in
            try await withLoftServer(fixture, mode: .startTLS) { server in
                let expectation = TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"])
                // INFO is written right after the handler goes in, before its handshake has
                // completed: the handler holds it and sends it encrypted afterwards.
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(), expectation: expectation,
                                          startTLS: true, linesOnceSecure: ["INFO"]) { client in
                    let info = try await client.log.handshake()
                    #expect(info.verification == .verified(matchedName: "mx.example"))
                    _ = try await client.log.line(startingWith: "INFO")
                    #expect(client.log.current.lines == ["+OK ready", "OK", "INFO version=TLSv1.3 sni=mx.example alpn=none"])
                }
            }
        }
    }

    @Test func sniReachesOpenSSLServer() async throws {
        try await ClientFixture.with { fixture in
            let defaultLeaf = try fixture.ca.issue(dnsNames: ["default.example"], ipAddresses: ["127.0.0.1"])
            let namedLeaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            // s_server switches to -cert2 when the client's SNI is -servername, and exits after
            // one connection, so that all it printed can be read.
            let arguments = fixture.serving(defaultLeaf) + ["-naccept", "1"]
                + ["-servername", "mx.example", "-cert2", namedLeaf.certificatePath, "-key2", namedLeaf.privateKeyPath]
            try await OpenSSLServer.with(arguments, in: fixture.scratch) { server in
                let context = try fixture.trustingTheCA()
                let named = try await TestClient.handshake(
                    port: server.port, context: context,
                    expectation: TLSPeerExpectation(serverName: "mx.example", referenceNames: ["mx.example"]))
                #expect(named.peerChain.first?.dnsNames == ["mx.example"])
                #expect(named.verification == .verified(matchedName: "mx.example"))
                #expect(try await server.outputAfterExit().contains("Hostname in TLS extension: \"mx.example\""))
            }
            try await OpenSSLServer.with(arguments, in: fixture.scratch) { server in
                // An IP literal is never sent as SNI (RFC 6066 section 3).
                let literal = try await TestClient.handshake(
                    port: server.port, context: fixture.trustingTheCA(),
                    expectation: TLSPeerExpectation(serverName: "127.0.0.1", referenceNames: ["127.0.0.1"]))
                #expect(literal.peerChain.first?.dnsNames == ["default.example"])
                #expect(literal.verification == .verified(matchedName: "127.0.0.1"))
                #expect(try await !server.outputAfterExit().contains("Hostname in TLS extension"))
            }
        }
    }

    @Test(arguments: [
        ("-tls1_1", TLSMinimumVersion.tls12, nil),
        ("-tls1_2", TLSMinimumVersion.tls12, "TLSv1.2"),
        ("-tls1_2", TLSMinimumVersion.tls13, nil),
    ] as [(String, TLSMinimumVersion, String?)])
    func minimumVersionIsRespected(serverFlag: String, minimum: TLSMinimumVersion, negotiated: String?) async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            // SECLEVEL=0 lets s_server speak TLS 1.1 at all.
            let arguments = fixture.serving(leaf) + [serverFlag, "-cipher", "DEFAULT@SECLEVEL=0"]
            try await OpenSSLServer.with(arguments, in: fixture.scratch) { server in
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(minimumVersion: minimum),
                                          expectation: TLSPeerExpectation(serverName: "mx.example")) { client in
                    if let negotiated {
                        #expect(try await client.log.handshake().protocolVersion == negotiated)
                        return
                    }
                    // The client offers nothing older than its minimum, so the server finds no
                    // common version and alerts.
                    let error = try await client.log.failure()
                    #expect(error.kind == .handshakeFailed)
                    #expect(error.description.contains("alert protocol version"), "\(error)")
                    #expect(client.log.current.info == nil)
                }
            }
        }
    }

    @Test func eofWithoutCloseNotifyIsReported() async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example"])
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                try await TestClient.with(port: server.port, context: fixture.trustingTheCA(),
                                          expectation: TLSPeerExpectation(serverName: "mx.example")) { client in
                    _ = try await client.log.handshake()
                    server.stop()  // the kernel closes the socket: FIN without close_notify
                    let error = try await client.log.failure()
                    #expect(error == TLSError.uncleanShutdown)
                }
            }
        }
    }
}
