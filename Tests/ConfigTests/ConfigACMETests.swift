import Config
import Foundation
import Testing

/// `[tls.acme]`: defaults, and how the ACME certificate joins the static ones.
struct ConfigACMETests {
    @Test("defaults: Let's Encrypt, the hostname, ECDSA P-256, tls-alpn-01, files under data_dir/acme; the default certificate")
    func defaults() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal + "[tls]\n[tls.acme]\nterms_agreed = true\n", path: "loft.toml")
        let tls = try #require(config.tls)
        let acme = try #require(tls.acme)
        #expect(acme.directory == "https://acme-v02.api.letsencrypt.org/directory")
        #expect(acme.names == ["mail.example.org"])
        #expect(acme.keyType == .ecdsaP256)
        #expect(acme.challenge == .tlsALPN01)
        #expect(acme.caFile == nil)
        #expect(acme.certificatePath == "/var/lib/loft/acme/certificate.pem")
        #expect(acme.accountKeyPath == "/var/lib/loft/acme/account.key")
        #expect(tls.certificate == acme.certificatePath && tls.privateKey == acme.certificatePath)
        #expect(tls.sni.isEmpty)
    }

    @Test("with a static default, the ACME names (names plus extra_names) get the ACME certificate by SNI")
    func besideStatic() throws {
        let text = ConfigFixtures.minimal + ConfigFixtures.tlsSection + """
            [tls.acme]
            terms_agreed = true
            names = ["mx.example.org"]
            extra_names = ["MX2.example.org"]
            key_type = "rsa-2048"
            challenge = "http-01"
            ca_file = "/etc/loft/acme-ca.pem"
            contact = ["mailto:postmaster@example.org"]

            """
        let tls = try #require(try LoftConfiguration.parse(text, path: "/etc/loft/loft.toml").tls)
        let acme = try #require(tls.acme)
        #expect(tls.certificate == "/etc/loft/tls/fullchain.pem")
        #expect(acme.names == ["mx.example.org", "mx2.example.org"])
        #expect(tls.sni.map(\.hostname) == ["mx.example.org", "mx2.example.org"])
        #expect(tls.sni.allSatisfy { $0.certificate == acme.certificatePath })
        #expect(acme.keyType == .rsa2048 && acme.challenge == .http01)
        #expect(acme.caFile == "/etc/loft/acme-ca.pem")
        #expect(acme.contact == ["mailto:postmaster@example.org"])
    }

    @Test("the commented [tls.acme] block of etc/loft.toml, uncommented, loads with the values it shows")
    func sampleBlock() throws {
        var lines = try String(contentsOfFile: ConfigFixtures.samplePath, encoding: .utf8).components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "# [tls.acme]"))
        var index = start
        while index < lines.count, lines[index].hasPrefix("# ") {
            lines[index] = String(lines[index].dropFirst(2))
            index += 1
        }
        let config = try LoftConfiguration.parse(lines.joined(separator: "\n"), path: "loft.toml")
        let acme = try #require(config.tls?.acme)
        #expect(acme.directory == ACMESettings.letsEncryptDirectory)
        #expect(acme.names == ["mail.example.org", "mx.example.org"])
        #expect(acme.contact == ["mailto:postmaster@example.org"])
        #expect(acme.caFile == "/etc/loft/acme-ca.pem")
        #expect(config.tls?.certificate == "/etc/loft/tls/fullchain.pem")
        #expect(config.tls?.sni.map(\.hostname) == ["mail.example.org", "mx.example.org"])
    }
}
