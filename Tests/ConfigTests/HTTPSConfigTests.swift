import Config
import Foundation
import Testing

@Suite("[mta_sts] and https listeners")
struct HTTPSConfigTests {
    static let httpsListener = ConfigFixtures.tlsSection + """

        [[listener]]
        protocol = "https"
        address = "127.0.0.1:443"
        tls = "implicit"

        """

    @Test func anHTTPSListenerWithImplicitTLSLoads() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal + Self.httpsListener, path: "loft.toml")
        #expect(config.listeners.map(\.protocol) == [.pop3, .https])
        #expect(config.listeners[1].tls == .implicit)
    }

    @Test(arguments: [
        ("tls = \"starttls\"", #"loft.toml: listener[1].tls: an https listener needs tls = "implicit" (HTTPS is TLS from the first byte), got "starttls""#),
        ("tls = \"none\"", #"loft.toml: listener[1].tls: an https listener needs tls = "implicit" (HTTPS is TLS from the first byte), got "none""#),
        ("tls = \"implicit\"\nallow_plaintext_auth = false", "loft.toml: listener[1].allow_plaintext_auth: an https listener takes no passwords; remove the key"),
    ])
    func anHTTPSListenerOtherThanImplicitIsRefused(_ keys: String, _ expected: String) {
        let text = ConfigFixtures.minimal + ConfigFixtures.tlsSection
            + "\n[[listener]]\nprotocol = \"https\"\naddress = \"127.0.0.1:443\"\n\(keys)\n"
        #expect {
            try LoftConfiguration.parse(text, path: "loft.toml")
        } throws: { error in
            "\(error)" == expected
        }
    }

    @Test func withoutTheSectionThePolicyIsTestingForAWeekWithHostname() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml")
        #expect(config.mtaSTS == MTASTSSettings(mode: .testing, maxAge: 604_800, mx: nil))
    }

    @Test func theKeysAreRead() throws {
        let text = ConfigFixtures.minimal + """
            [mta_sts]
            mode = "enforce"
            max_age = "1d"
            mx = ["Mail.Example.org", "*.backup.example.org"]

            """
        let config = try LoftConfiguration.parse(text, path: "loft.toml")
        #expect(config.mtaSTS == MTASTSSettings(mode: .enforce, maxAge: 86400, mx: ["mail.example.org", "*.backup.example.org"]))
        let seconds = try LoftConfiguration.parse(ConfigFixtures.minimal + "[mta_sts]\nmax_age = 31557600\n", path: "loft.toml")
        #expect(seconds.mtaSTS.maxAge == 31_557_600)
    }

    static let refusals: [(text: String, expected: String)] = [
        ("mode = \"strict\"", #"loft.toml: mta_sts.mode: must be "enforce", "testing" or "none", got "strict""#),
        ("max_age = 31557601",
         "loft.toml: mta_sts.max_age: must be from 1 second to 31557600 seconds (one year, RFC 8461 §3.2), got 31557601"),
        ("max_age = \"400d\"",
         #"loft.toml: mta_sts.max_age: must be from 1 second to 31557600 seconds (one year, RFC 8461 §3.2), got "400d""#),
        ("max_age = 0", "loft.toml: mta_sts.max_age: must be from 1 second to 31557600 seconds (one year, RFC 8461 §3.2), got 0"),
        ("max_age = \"a week\"", #"loft.toml: mta_sts.max_age: expected a duration like "500ms", "2s", "10m", "1h" or "5d", got "a week""#),
        ("mx = []", "loft.toml: mta_sts.mx: must name at least one MX host (leave it out for hostname)"),
        ("mx = [\"mail.example.org\", \"mail example\"]",
         #"loft.toml: mta_sts.mx[1]: must be a host name like "mail.example.org" or "*.example.org", got "mail example""#),
        ("mod = \"enforce\"", #"loft.toml: mta_sts.mod: unknown key (did you mean "mode"?)"#),
    ]

    @Test(arguments: refusals)
    func badValuesNameTheFileTheKeyAndTheProblem(_ refusal: (text: String, expected: String)) {
        #expect {
            try LoftConfiguration.parse(ConfigFixtures.minimal + "[mta_sts]\n\(refusal.text)\n", path: "loft.toml")
        } throws: { error in
            "\(error)" == refusal.expected
        }
    }

    @Test func theSamplesCommentedOutSectionsParseOnceUncommented() throws {
        let sample = try String(contentsOfFile: ConfigFixtures.samplePath, encoding: .utf8)
        let enabled = sample
            .replacingOccurrences(of: "# [mta_sts]\n# mode", with: "[mta_sts]\nmode")
            .replacingOccurrences(of: "\n# max_age = ", with: "\nmax_age = ")
            .replacingOccurrences(of: "\n# mx = ", with: "\nmx = ")
            .replacingOccurrences(
                of: "# [[listener]]\n# protocol = \"https\"\n# address = \"0.0.0.0:443\"\n# tls = \"implicit\"",
                with: "[[listener]]\nprotocol = \"https\"\naddress = \"0.0.0.0:443\"\ntls = \"implicit\"")
        let config = try LoftConfiguration.parse(enabled, path: "/etc/loft/loft.toml")
        #expect(config.mtaSTS == MTASTSSettings(mode: .testing, maxAge: 604_800, mx: ["mail.example.org"]))
        #expect(config.listeners.last?.protocol == .https)
    }
}
