import DNS
@testable import Delivery
import Foundation
import NIOCore
import NIOPosix
import TestSupport
import TLS
import Testing

/// The policy fetch against a real HTTPS server (Python's http.server with ssl, /usr/bin/python3) on
/// 127.0.0.1, its certificate from a private CA that the client context trusts through its CA file.
@Suite("MTA-STS: fetching the policy over HTTPS", .serialized)
struct MTASTSPolicyFetcherTests {
    static let policy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.mx.example.test\r\nmax_age: 604800\r\n"
    static let parsed = MTASTSPolicy(mode: .enforce, mx: ["mx1.example.test", "*.mx.example.test"], maxAge: 604800)
    static let loopback = IPAddress.v4(0x7F00_0001)

    final class Lab: Sendable {
        let ca: TestCertificateAuthority
        let certificate: TestCertificateAuthority.Certificate
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let context: TLSClientContext

        init() throws {
            ca = try TestCertificateAuthority()
            certificate = try ca.issue(dnsNames: ["mta-sts.example.test"])
            context = try TLSClientContext(configuration: TLSClientConfiguration(
                useSystemTrustStore: false, extraTrustAnchorsFile: ca.certificatePath))
        }

        /// - Parameter withIssuer: the server sends its issuer's certificate after its own.
        func server(_ response: TestHTTPSServer.Response, certificate: TestCertificateAuthority.Certificate? = nil,
                    withIssuer: Bool = true) throws -> TestHTTPSServer {
            let certificate = certificate ?? self.certificate
            let chain = withIssuer ? certificate.chainPath : certificate.certificatePath
            return try TestHTTPSServer(host: "127.0.0.1", certificate: (chain, certificate.privateKeyPath), response: response)
        }

        func fetcher(port: Int, timeout: TimeAmount = .seconds(10)) -> MTASTSPolicyFetcher {
            MTASTSPolicyFetcher(tlsContext: context, group: group, timeout: timeout, port: port)
        }

        func cleanUp() {
            try? group.syncShutdownGracefully()
            ca.remove()
        }
    }

    static func fetch(_ fetcher: MTASTSPolicyFetcher, addresses: [IPAddress] = [loopback]) async -> Result<MTASTSPolicy, MTASTSError> {
        do {
            return .success(try await fetcher.fetchPolicy(domain: "Example.test", addresses: addresses))
        } catch {
            return .failure(error)
        }
    }

    @Test("the policy arrives whatever the framing: Content-Length, chunked, or until a clean close",
          arguments: [TestHTTPSServer.Framing.contentLength, .chunked, .untilClose])
    func framings(_ framing: TestHTTPSServer.Framing) async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        let server = try lab.server(.init(body: Self.policy, framing: framing))
        defer { server.stop() }
        #expect(await Self.fetch(lab.fetcher(port: server.port)) == .success(Self.parsed), "\(server.log)")
        #expect(server.log.contains("GET /.well-known/mta-sts.txt host=mta-sts.example.test"), "\(server.log)")
    }

    @Test("a redirect is not followed, and any status but 200 is a failure")
    func statuses() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        for (response, reason) in [
            (TestHTTPSServer.Response.redirect(to: "https://mta-sts.example.test/elsewhere.txt"), "HTTP status 301: redirects are not followed"),
            (.redirect(to: "/other", status: 307), "HTTP status 307"),
            (.init(status: 404, body: "no policy here"), "HTTP status 404, not 200"),
        ] {
            let server = try lab.server(response)
            defer { server.stop() }
            let result = await Self.fetch(lab.fetcher(port: server.port))
            guard case .failure(.fetchFailed(let why)) = result else {
                Issue.record("\(result)")
                continue
            }
            #expect(why.contains(reason) && why.contains("mta-sts.example.test [127.0.0.1]"), "\(why)")
            #expect(server.requestCount == 1, "one request, nothing followed")
        }
    }

    @Test("a certificate from an unknown CA, or for another name, fails before the request is sent")
    func certificates() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        let otherCA = try TestCertificateAuthority(commonName: "Unknown CA")
        defer { otherCA.remove() }
        for (certificate, reason) in [
            (try otherCA.issue(dnsNames: ["mta-sts.example.test"]), "unable to get local issuer certificate"),
            (try lab.ca.issue(dnsNames: ["mx1.example.test"]), "hostname mismatch"),
            (try lab.ca.issueExpired(dnsNames: ["mta-sts.example.test"]), "certificate has expired"),
        ] {
            let server = try lab.server(.init(body: Self.policy), certificate: certificate, withIssuer: false)
            defer { server.stop() }
            let result = await Self.fetch(lab.fetcher(port: server.port))
            guard case .failure(.fetchFailed(let why)) = result else {
                Issue.record("\(result)")
                continue
            }
            #expect(why.contains("the certificate of mta-sts.example.test is not valid") && why.contains(reason), "\(why)")
            #expect(server.requestCount == 0, "\(server.log)")
        }
    }

    @Test("a body over 64 KiB is refused")
    func sizeCap() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        let padding = "x-padding: " + String(repeating: "p", count: 200) + "\r\n"
        let body = Self.policy + String(repeating: padding, count: 400)
        for framing in [TestHTTPSServer.Framing.contentLength, .chunked] {
            let server = try lab.server(.init(body: body, framing: framing))
            defer { server.stop() }
            let result = await Self.fetch(lab.fetcher(port: server.port))
            #expect(result.failureText?.contains("larger than 64 KiB") == true, "\(framing): \(result)")
        }
    }

    @Test("a server that never answers fails at the timeout; an invalid policy is reported as invalid")
    func timeoutAndInvalid() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        let stalled = try lab.server(.init(body: Self.policy, framing: .stall))
        defer { stalled.stop() }
        let started = ContinuousClock.now
        let result = await Self.fetch(lab.fetcher(port: stalled.port, timeout: .seconds(1)))
        #expect(result.failureText?.contains("no complete answer within 1 s") == true, "\(result)")
        #expect(ContinuousClock.now - started < .seconds(5))

        let invalid = try lab.server(.init(body: "version: STSv1\nmode: enforce\nmax_age: 60\n"))
        defer { invalid.stop() }
        #expect(await Self.fetch(lab.fetcher(port: invalid.port)) == .failure(.invalidPolicy("mode enforce needs at least one mx field")))
    }

    @Test("addresses are tried in turn: a refused one, then one that answers")
    func nextAddress() async throws {
        let lab = try Lab()
        defer { lab.cleanUp() }
        let server = try lab.server(.init(body: Self.policy))
        defer { server.stop() }
        // 127.0.0.9 has nothing listening on that port: connection refused.
        let result = await Self.fetch(lab.fetcher(port: server.port), addresses: [.v4(0x7F00_0009), Self.loopback])
        #expect(result == .success(Self.parsed))
        let none = await Self.fetch(lab.fetcher(port: server.port), addresses: [])
        #expect(none == .failure(.fetchFailed("mta-sts.example.test has no address")))
    }
}

extension Result where Failure == MTASTSError {
    var failureText: String? {
        if case .failure(let error) = self { return "\(error)" }
        return nil
    }
}
