import Foundation
import DNS
import Testing

/// Lookups in a zone signed with a key the resolver trusts.
@Suite struct SecureLookupTests {
    @Test func everyRecordTypeComesBackSecure() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)

            let mx = try resolver.mx("example.test")
            #expect(mx.status == .secure)
            #expect(mx.nameExists)
            #expect(mx.name == "example.test")
            #expect(mx.canonicalName == nil)
            // By preference, then host; hosts lowercased, without the trailing dot.
            #expect(mx.records == [
                MXRecord(preference: 10, host: "mx0.example.test"),
                MXRecord(preference: 10, host: "mx1.example.test"),
                MXRecord(preference: 20, host: "mx2.example.test"),
            ])

            let a = try resolver.ipv4("mx1.example.test")
            #expect(a.status == .secure)
            #expect(Set(a.records) == [.v4(0xC000_0201), .v4(0xC000_020B)])

            let aaaa = try resolver.ipv6("mx1.example.test")
            #expect(aaaa.status == .secure)
            #expect(aaaa.records.map(\.description) == ["2001:db8::1"])

            let tlsa = try resolver.tlsa(host: "mx1.example.test", port: 25)
            #expect(tlsa.status == .secure)
            #expect(tlsa.name == "_25._tcp.mx1.example.test")
            #expect(tlsa.records == [
                TLSARecord(usage: 3, selector: 1, matchingType: 1, data: bytes(hex: TestZones.tlsaData))
            ])

            let txt = try resolver.txt("example.test")
            #expect(txt.status == .secure)
            #expect(txt.records.sorted() == ["second record", "v=spf1 -all"])
        }
    }

    @Test func namesAreAcceptedWithTrailingDotAndAnyCase() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)
            let answer = try resolver.ipv4("MX2.Example.TEST.")
            #expect(answer.name == "mx2.example.test")
            #expect(answer.records == [.v4(0xC000_0202)])
            #expect(answer.status == .secure)
            let tlsa = try resolver.tlsa(host: "MX1.example.test.", port: 25)
            #expect(tlsa.name == "_25._tcp.mx1.example.test")
            #expect(tlsa.records.count == 1)
        }
    }

    @Test func nullMXMeansNoMail() throws {
        try TestZones.withServer { server in
            let answer = try TestZones.resolver(for: server).mx("nullmx.test")
            #expect(answer.status == .secure)
            #expect(answer.records == [MXRecord(preference: 0, host: "")])
            #expect(answer.records.first?.isNullMX == true)
        }
    }

    @Test func nonexistentNamesAndMissingTypesAreAuthenticatedDenials() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)

            let nxdomain = try resolver.ipv4("nowhere.example.test")
            #expect(nxdomain.nameExists == false)
            #expect(nxdomain.records.isEmpty)
            #expect(nxdomain.status == .secure)

            // NODATA: the name exists, the type does not.
            let nodata = try resolver.ipv6("mx2.example.test")
            #expect(nodata.nameExists)
            #expect(nodata.records.isEmpty)
            #expect(nodata.status == .secure)

            let noTLSA = try resolver.tlsa(host: "mx2.example.test", port: 25)
            #expect(noTLSA.nameExists == false)
            #expect(noTLSA.records.isEmpty)
            #expect(noTLSA.status == .secure)
        }
    }

    @Test func aCNAMEIsFollowedAndReported() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)

            let inZone = try resolver.ipv4("www.example.test")
            #expect(inZone.name == "www.example.test")
            #expect(inZone.canonicalName == "mx1.example.test")
            #expect(Set(inZone.records) == [.v4(0xC000_0201), .v4(0xC000_020B)])
            #expect(inZone.status == .secure)

            // A signed CNAME pointing into an unsigned zone: the answer is only as good as its
            // weakest link.
            let outside = try resolver.ipv4("outside.example.test")
            #expect(outside.canonicalName == "mail.unsigned.test")
            #expect(outside.records == [.v4(0xC000_0214)])
            #expect(outside.status == .insecure)
        }
    }

    @Test func anAnchorFromAFileWorksLikeOneGivenAsText() throws {
        try TestZones.withServer([TestZones.example]) { server in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("loft-anchor-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            try (server.trustAnchors().joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            let resolver = try DNSResolver(configuration: DNSResolverConfiguration(
                forwarders: [server.forwarder], trustAnchorFile: file.path, transparentZones: ["test"]))
            #expect(try resolver.mx("example.test").status == .secure)
        }
    }

    @Test func aReplacedZoneIsServedSignedAfterwards() throws {
        try TestZones.withServer([TestZones.example]) { server in
            var changed = TestZones.example
            changed.records = changed.records.map { $0 == "mx2 IN A 192.0.2.2" ? "mx2 IN A 192.0.2.99" : $0 }
            try server.replace(zone: changed)
            // A fresh resolver: the first one would answer from its cache.
            let answer = try TestZones.resolver(for: server).ipv4("mx2.example.test")
            #expect(answer.records == [.v4(0xC000_0263)])
            #expect(answer.status == .secure)
        }
    }
}
