import DNS
import Testing

/// Answers that are not secure: unsigned, untrusted, tampered with, or not answered at all.
@Suite struct ValidationFailureTests {
    @Test func anUnsignedZoneIsInsecure() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)
            let mx = try resolver.mx("unsigned.test")
            #expect(mx.status == .insecure)
            #expect(mx.records == [MXRecord(preference: 10, host: "mail.unsigned.test")])
            #expect(try resolver.ipv4("mail.unsigned.test").status == .insecure)
        }
    }

    @Test func withoutATrustAnchorASignedZoneIsInsecure() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server, trustAnchors: [])
            let mx = try resolver.mx("example.test")
            #expect(mx.status == .insecure)
            #expect(mx.records.count == 3)
        }
    }

    @Test func corruptedSignaturesAreBogusWithAReason() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)
            let mx = try resolver.mx("bogus.test")
            guard case .bogus(let reason) = mx.status else {
                Issue.record("expected bogus, got \(mx.status)")
                return
            }
            #expect(reason.contains("signature"), "reason: \(reason)")
            // The data is handed back with the verdict, for the log; callers defer on it.
            #expect(mx.records == [MXRecord(preference: 10, host: "mail.bogus.test")])

            guard case .bogus = try resolver.ipv4("mail.bogus.test").status else {
                Issue.record("expected the A record to be bogus too")
                return
            }
            // The other zones are unaffected.
            #expect(try resolver.mx("example.test").status == .secure)
        }
    }

    @Test func aDSThatMatchesNoKeyMakesTheZoneBogus() throws {
        try TestZones.withServer([TestZones.example]) { server in
            let anchor = try #require(server.trustAnchors().first)
            // Change the last hex digit of the digest.
            let wrong = String(anchor.dropLast()) + (anchor.last == "0" ? "1" : "0")
            let resolver = try TestZones.resolver(for: server, trustAnchors: [wrong])
            let answer = try resolver.ipv4("mx1.example.test")
            guard case .bogus(let reason) = answer.status else {
                Issue.record("expected bogus, got \(answer.status)")
                return
            }
            #expect(reason.contains("DS"), "reason: \(reason)")
        }
    }

    @Test func aRefusedQueryIsATemporaryError() throws {
        try TestZones.withServer([TestZones.example]) { server in
            let resolver = try TestZones.resolver(for: server)
            // nsd is not authoritative for it and answers REFUSED; unbound turns that into SERVFAIL.
            #expect {
                try resolver.mx("elsewhere.test")
            } throws: { error in
                guard case .temporary(let name, let type, _) = error as? DNSError else { return false }
                return name == "elsewhere.test" && type == "MX"
            }
        }
    }
}
