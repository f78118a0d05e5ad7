import DNS
import TestSupport

/// The zones most DNS tests resolve, served by a real nsd.
enum TestZones {
    static let tlsaData = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    static let example = TestDNSZone(origin: "example.test.", records: [
        "@ IN MX 20 mx2",
        "@ IN MX 10 mx1.example.test.",
        "@ IN MX 10 MX0",
        "@ IN TXT \"v=spf1 \" \"-all\"",
        "@ IN TXT \"second record\"",
        "mx0 IN A 192.0.2.10",
        "mx1 IN A 192.0.2.1",
        "mx1 IN A 192.0.2.11",
        "mx1 IN AAAA 2001:db8::1",
        "mx2 IN A 192.0.2.2",
        "_25._tcp.mx1 IN TLSA 3 1 1 \(tlsaData)",
        "www IN CNAME mx1",
        "outside IN CNAME mail.unsigned.test.",
    ])
    static let nullMX = TestDNSZone(origin: "nullmx.test", records: ["@ IN MX 0 ."])
    static let unsigned = TestDNSZone(origin: "unsigned.test", records: [
        "@ IN MX 10 mail",
        "mail IN A 192.0.2.20",
    ], signed: false)
    static let bogus = TestDNSZone(origin: "bogus.test", records: [
        "@ IN MX 10 mail",
        "mail IN A 192.0.2.30",
    ], corruptSignatures: true)

    static let all = [example, nullMX, unsigned, bogus]

    /// A resolver that forwards to `server`, with the given anchors (default: the server's DS records).
    static func resolver(for server: TestDNSServer, trustAnchors: [String]? = nil) throws -> DNSResolver {
        try DNSResolver(configuration: DNSResolverConfiguration(
            forwarders: [server.forwarder],
            trustAnchors: trustAnchors ?? server.trustAnchors(),
            transparentZones: ["test"]))
    }

    /// Starts nsd with `zones`, runs `body`, and stops nsd whatever happens.
    static func withServer<T>(_ zones: [TestDNSZone] = all, _ body: (TestDNSServer) throws -> T) throws -> T {
        let server = try TestDNSServer(zones: zones)
        defer { server.stop() }
        return try body(server)
    }
}

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}
