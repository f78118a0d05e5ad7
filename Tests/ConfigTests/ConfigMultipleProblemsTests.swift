import Config
import Testing

@Suite("A file with several mistakes reports all of them, one line each, in file order")
struct ConfigMultipleProblemsTests {
    private func refusal(_ text: String) throws -> ConfigError {
        try #require(throws: ConfigError.self) { try LoftConfiguration.parse(text, path: "loft.toml") }
    }

    @Test("three mistakes in three sections give three lines in file order")
    func threeMistakes() throws {
        let text = """
            hostname = "mail example.org"
            data_dir = "/var/lib/loft"

            [[listener]]
            protocol = "smtp"
            address = "127.0.0.1:110"
            tls = "none"

            [auth]
            passwd_file = "/etc/loft/passwd"
            failure_delay = "2 s"

            """
        let error = try refusal(text)
        #expect(error.lines == [
            #"loft.toml: hostname: must be a host name like "mail.example.org", got "mail example.org""#,
            #"loft.toml: listener[0].protocol: must be "pop3", "imap", "submission", "https" or "http", got "smtp""#,
            #"loft.toml: auth.failure_delay: expected a duration like "500ms", "2s", "10m", "1h" or "5d", got "2 s""#,
        ])
        #expect(error.description == error.lines.joined(separator: "\n"))
        #expect(error.key == "hostname")
        #expect(error.more.map(\.key) == ["listener[0].protocol", "auth.failure_delay"])
    }

    @Test("problems are in file order even when sections come in an unusual order")
    func fileOrder() throws {
        let text = """
            [limits]
            auth_threads = 0

            [[listener]]
            protocol = "pop3"
            address = "127.0.0.1:110"
            tls = "none"

            [[listener]]
            protocol = "pop3"
            address = "127.0.0.1:110"
            tls = "sometimes"

            [auth]
            passwd_file = ""
            """
        // Missing top-level keys have no line of their own: they come first.
        #expect(try refusal(text).lines == [
            "loft.toml: hostname: required, but missing",
            "loft.toml: data_dir: required, but missing",
            "loft.toml: limits.auth_threads: must be from 1 to 256, got 0",
            "loft.toml: listener[1].address: duplicate address 127.0.0.1:110 (also used by listener[0])",
            #"loft.toml: listener[1].tls: must be "starttls", "implicit" or "none", got "sometimes""#,
            "loft.toml: auth.passwd_file: must not be empty",
        ])
    }

    @Test("several unknown keys in one table are all named")
    func severalUnknownKeys() throws {
        let text = ConfigFixtures.minimal.replacingOccurrences(
            of: "tls = \"none\"", with: "tsl = \"none\"\nprotocl = \"pop3\"\nport = 110")
        // A missing `tls` is not reported: the misspelt `tsl` explains it.
        #expect(try refusal(text).lines == [
            #"loft.toml: listener[0].tsl: unknown key (did you mean "tls"?)"#,
            #"loft.toml: listener[0].protocl: unknown key (did you mean "protocol"?)"#,
            "loft.toml: listener[0].port: unknown key",
        ])
    }

    @Test("a listener's TLS is still checked when another key is wrong, but a broken [tls] is not blamed twice")
    func dependentProblems() throws {
        let text = ConfigFixtures.minimal
            .replacingOccurrences(of: "tls = \"none\"", with: "tls = \"implicit\"")
            .replacingOccurrences(of: "127.0.0.1:110", with: "127.0.0.1:99999")
        #expect(try refusal(text).lines == [
            #"loft.toml: listener[0].address: invalid address "127.0.0.1:99999": the port must be a number from 0 to 65535, got "99999""#,
            #"loft.toml: listener[0].tls: "implicit" needs a [tls] certificate and private_key"#,
        ])
        let brokenTLS = text.replacingOccurrences(of: "127.0.0.1:99999", with: "127.0.0.1:110")
            + "[tls]\ncertificate = \"cert.pem\"\n"
        #expect(try refusal(brokenTLS).lines == ["loft.toml: tls.private_key: required, but missing"])
    }

    @Test("invalid TOML is still one line: the parser stops at the first syntax error")
    func invalidTOML() throws {
        let text = "hostname = \nport = = 3\n" + ConfigFixtures.minimal
        let error = try refusal(text)
        #expect(error.lines.count == 1)
        #expect(error.description.hasPrefix("loft.toml: invalid TOML at line 1"))
    }
}
