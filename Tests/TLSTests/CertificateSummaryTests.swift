import Foundation
import Testing
import TestSupport
import TLS

/// `TLSCertificateSummary`, from a handshake's peer chain and from a PEM file, checked against what
/// `openssl x509` prints for the same files.
@Suite struct CertificateSummaryTests {
    /// What `openssl x509` says about a certificate file, in the summary's terms.
    private struct OpenSSLView: Equatable {
        var subject = "", issuer = "", sha256Fingerprint = "", notBefore = "", notAfter = ""
        var dnsNames: [String] = [], ipAddresses: [String] = []
    }

    private func opensslView(of path: String, in scratch: ScratchDirectory) async throws -> OpenSSLView {
        let result = try await Peers.run("/usr/bin/openssl", [
            "x509", "-in", path, "-noout", "-subject", "-issuer", "-dates", "-fingerprint", "-sha256",
            "-ext", "subjectAltName", "-nameopt", "RFC2253",
        ], in: scratch)
        guard result.status == 0 else { throw PeerError(text: "openssl x509 failed: \(result.output)") }
        var view = OpenSSLView()
        var lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }[...]
        while let line = lines.popFirst() {
            if line.hasPrefix("subject=") { view.subject = String(line.dropFirst("subject=".count)) }
            if line.hasPrefix("issuer=") { view.issuer = String(line.dropFirst("issuer=".count)) }
            if line.hasPrefix("notBefore=") { view.notBefore = String(line.dropFirst("notBefore=".count)) }
            if line.hasPrefix("notAfter=") { view.notAfter = String(line.dropFirst("notAfter=".count)) }
            if line.hasPrefix("sha256 Fingerprint=") {
                view.sha256Fingerprint = line.dropFirst("sha256 Fingerprint=".count).filter { $0 != ":" }.lowercased()
            }
            if line.hasPrefix("X509v3 Subject Alternative Name"), let names = lines.popFirst() {
                for entry in names.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    if entry.hasPrefix("DNS:") { view.dnsNames.append(String(entry.dropFirst(4))) }
                    if entry.hasPrefix("IP Address:") { view.ipAddresses.append(shortIPv6(String(entry.dropFirst(11)))) }
                }
            }
        }
        return view
    }

    /// The summary in the same terms; dates as openssl prints them ("Jan  2 03:04:05 2026 GMT").
    private func view(of summary: TLSCertificateSummary) -> OpenSSLView {
        OpenSSLView(subject: summary.subject, issuer: summary.issuer, sha256Fingerprint: summary.sha256Fingerprint,
                    notBefore: opensslDate(summary.notBefore), notAfter: opensslDate(summary.notAfter),
                    dnsNames: summary.dnsNames, ipAddresses: summary.ipAddresses)
    }

    private func opensslDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func pad(_ value: Int, _ filler: String) -> String { value < 10 ? filler + String(value) : String(value) }
        return "\(months[parts.month! - 1]) \(pad(parts.day!, " ")) \(pad(parts.hour!, "0")):\(pad(parts.minute!, "0"))"
            + ":\(pad(parts.second!, "0")) \(parts.year!) GMT"
    }

    /// openssl writes IPv6 addresses long-hand ("0:0:0:0:0:0:0:1"); this is the usual short form.
    private func shortIPv6(_ text: String) -> String {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return text }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return text }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(arguments: [TestCertificateAuthority.KeyType.rsa2048, .ecP256])
    func peerChainMatchesOpenSSLX509(keyType: TestCertificateAuthority.KeyType) async throws {
        try await ClientFixture.with { fixture in
            let leaf = try fixture.ca.issue(dnsNames: ["mx.example", "mail.example"], ipAddresses: ["127.0.0.1", "::1"],
                                            keyType: keyType)
            try await OpenSSLServer.with(fixture.serving(leaf), in: fixture.scratch) { server in
                let info = try await TestClient.handshake(port: server.port, context: fixture.trustingTheCA(),
                                                          expectation: TLSPeerExpectation(serverName: "mx.example"))
                try #require(info.peerChain.count == 2)
                let (leafSummary, caSummary) = (info.peerChain[0], info.peerChain[1])

                let leafView = try await opensslView(of: leaf.certificatePath, in: fixture.scratch)
                #expect(view(of: leafSummary) == leafView)
                #expect(leafView.dnsNames == ["mx.example", "mail.example"])
                #expect(leafSummary.ipAddresses == ["127.0.0.1", "::1"])
                #expect(leafSummary.publicKeySHA256 == leaf.publicKeySHA256Hex)
                #expect(leafSummary.sha256Fingerprint == leaf.certificateSHA256Hex)
                #expect(leafSummary.publicKeyDescription == (keyType == .rsa2048 ? "RSA 2048" : "EC P-256"))

                let caView = try await opensslView(of: fixture.ca.certificatePath, in: fixture.scratch)
                #expect(view(of: caSummary) == caView)
                #expect(caSummary.subject == "O=Loft tests,CN=Loft Test CA")
                #expect(caSummary.publicKeySHA256 == fixture.ca.authority.publicKeySHA256Hex)
                #expect(caSummary.publicKeyDescription == "EC P-256")

                // The admin tooling's view of the same chain file.
                #expect(try TLSCertificateSummary.load(pemFile: leaf.chainPath) == info.peerChain)
            }
        }
    }

    @Test func loadNamesAMissingFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let error = try #require(throws: TLSError.self) {
            try TLSCertificateSummary.load(pemFile: scratch.file("server.pem"))
        }
        #expect(error.kind == .fileUnreadable)
        #expect(error.description == "certificate file \(scratch.file("server.pem")) does not exist")
    }
}
