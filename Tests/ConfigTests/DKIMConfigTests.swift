import Config
import Foundation
import Testing

@Suite("[[dkim]]: keys per domain and selector")
struct DKIMConfigTests {
    @Test("every key is read; key_file is made absolute against the config's directory; sign defaults to true")
    func everyKey() throws {
        let text = ConfigFixtures.minimal + """
            [[dkim]]
            domain = "Example.ORG"
            selector = "loft202612"
            algorithm = "rsa-sha256"
            key_file = "dkim/rsa.key"

            [[dkim]]
            domain = "example.org"
            selector = "ed.2026"
            algorithm = "ed25519-sha256"
            key_file = "/var/lib/loft/dkim/ed.key"
            sign = false
            """
        let config = try LoftConfiguration.parse(text, path: "/etc/loft/loft.toml")
        #expect(config.dkim == [
            DKIMKeySettings(domain: "example.org", selector: "loft202612", algorithm: .rsaSHA256, keyFile: "/etc/loft/dkim/rsa.key"),
            DKIMKeySettings(domain: "example.org", selector: "ed.2026", algorithm: .ed25519SHA256,
                            keyFile: "/var/lib/loft/dkim/ed.key", sign: false),
        ])
        #expect(try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml").dkim.isEmpty)
    }

    @Test("refused, naming file, key and problem", arguments: [
        ("selector = \"bad_selector\"", "loft.toml: dkim[0].selector: must be letters, digits and hyphens"),
        ("domain = \"not a domain\"", "loft.toml: dkim[0].domain: must be a host name"),
        ("algorithm = \"rsa-sha1\"", "loft.toml: dkim[0].algorithm: must be \"rsa-sha256\" or \"ed25519-sha256\", got \"rsa-sha1\""),
        ("sign = \"yes\"", "loft.toml: dkim[0].sign: "),
        ("keyfile = \"k\"", "loft.toml: dkim[0].keyfile: unknown key"),
    ])
    func refused(change: String, expected: String) throws {
        var lines = ["domain = \"example.org\"", "selector = \"sel\"", "algorithm = \"rsa-sha256\"", "key_file = \"k.pem\""]
        let key = change.split(separator: " ")[0]
        lines.removeAll { $0.hasPrefix(key + " ") }
        lines.append(change)
        let text = ConfigFixtures.minimal + "[[dkim]]\n" + lines.joined(separator: "\n") + "\n"
        let error = try #require(throws: ConfigError.self) { try LoftConfiguration.parse(text, path: "loft.toml") }
        #expect(error.description.contains(expected), "\(error.description)")
    }

    @Test("the same selector twice for one domain is refused")
    func duplicate() throws {
        let entry = "[[dkim]]\ndomain = \"example.org\"\nselector = \"sel\"\nalgorithm = \"rsa-sha256\"\nkey_file = \"k.pem\"\n"
        let error = try #require(throws: ConfigError.self) {
            try LoftConfiguration.parse(ConfigFixtures.minimal + entry + entry, path: "loft.toml")
        }
        #expect(error.description.contains("dkim[1].selector: sel._domainkey.example.org is already configured by dkim[0]"), "\(error.description)")
    }
}
