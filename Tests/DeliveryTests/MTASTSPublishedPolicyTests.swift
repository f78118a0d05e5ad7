import Config
import Delivery
import Testing

@Suite("MTA-STS: the policy Loft publishes and its id (RFC 8461 §3.1, §3.2)")
struct MTASTSPublishedPolicyTests {
    @Test func theDefaultIsTestingForAWeekWithHostnameAsTheMX() {
        let published = MTASTSPublishedPolicy(settings: MTASTSSettings(), hostname: "Mail.Example.org")
        #expect(published.text == "version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n")
        #expect(published.policy == MTASTSPolicy(mode: .testing, mx: ["mail.example.org"], maxAge: 604_800))
    }

    @Test func configuredMXPatternsReplaceHostname() {
        let settings = MTASTSSettings(mode: .enforce, maxAge: 86400, mx: ["mx1.example.org", "*.backup.example.org"])
        let published = MTASTSPublishedPolicy(settings: settings, hostname: "mail.example.org")
        #expect(published.text == "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.backup.example.org\r\nmax_age: 86400\r\n")
    }

    @Test("Loft's own policy parser reads what is served as the policy it was made from", arguments: [
        MTASTSSettings(),
        MTASTSSettings(mode: .enforce, maxAge: 31_557_600, mx: ["mx1.example.org", "*.example.net"]),
        MTASTSSettings(mode: .none, maxAge: 1),
    ])
    func roundTrip(_ settings: MTASTSSettings) throws {
        let published = MTASTSPublishedPolicy(settings: settings, hostname: "mail.example.org")
        #expect(try MTASTSPolicy.parse(Array(published.text.utf8)) == published.policy)
        #expect(MTASTSRecord.parse(published.record)?.id == published.id)
    }

    @Test func theIdIsTwentyHexDigitsOfTheTextsSHA256() {
        let published = MTASTSPublishedPolicy(settings: MTASTSSettings(), hostname: "mail.example.org")
        // printf 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n' | sha256sum
        #expect(published.id == "53489ece145c54a18e5e")
        #expect(published.id.count == 20 && published.id.allSatisfy { $0.isHexDigit })
        #expect(published.record == "v=STSv1; id=\(published.id)")
    }

    @Test func theIdChangesExactlyWhenThePolicyDoes() {
        let base = MTASTSSettings()
        let id = MTASTSPublishedPolicy(settings: base, hostname: "mail.example.org").id
        #expect(MTASTSPublishedPolicy(settings: base, hostname: "mail.example.org").id == id)
        #expect(MTASTSPublishedPolicy(settings: base, hostname: "MAIL.example.org").id == id)
        #expect(MTASTSPublishedPolicy(settings: MTASTSSettings(mx: ["mail.example.org"]), hostname: "other.example.org").id == id)
        let changed = [
            MTASTSPublishedPolicy(settings: MTASTSSettings(mode: .enforce), hostname: "mail.example.org"),
            MTASTSPublishedPolicy(settings: MTASTSSettings(maxAge: 604_801), hostname: "mail.example.org"),
            MTASTSPublishedPolicy(settings: base, hostname: "mx.example.org"),
            MTASTSPublishedPolicy(settings: MTASTSSettings(mx: ["mail.example.org", "mx2.example.org"]), hostname: "mail.example.org"),
        ]
        #expect(Set(changed.map(\.id) + [id]).count == changed.count + 1)
    }
}
