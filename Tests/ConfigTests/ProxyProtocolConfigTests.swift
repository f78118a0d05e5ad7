import Config
import Testing

/// `proxy_protocol` and `proxy_trusted` on a `[[listener]]`, and `[limits] proxy_header_timeout`.
@Suite struct ProxyProtocolConfigTests {
    static let listenerLine = "tls = \"none\""

    static func withListenerKeys(_ keys: String) -> String {
        ConfigFixtures.minimal.replacingOccurrences(of: listenerLine, with: listenerLine + "\n" + keys)
    }

    @Test("a listener with proxy_protocol keeps its trusted networks, canonical; one without has none")
    func accepted() throws {
        let config = try LoftConfiguration.parse(
            Self.withListenerKeys(#"proxy_protocol = true"# + "\n" + #"proxy_trusted = ["127.0.0.1", "::1", "10.0.0.0/8", "FD00:0::/8"]"#)
                + "\n[limits]\nproxy_header_timeout = \"2s\"\n",
            path: "loft.toml")
        let trusted = try #require(config.listeners.first?.trustedProxies)
        #expect(trusted.map(\.description) == ["127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"])
        #expect(config.limits.proxyHeaderTimeout == .seconds(2))
        let plain = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml")
        #expect(plain.listeners.first?.trustedProxies == nil)
        #expect(plain.limits.proxyHeaderTimeout == .seconds(5))
        let off = try LoftConfiguration.parse(Self.withListenerKeys("proxy_protocol = false"), path: "loft.toml")
        #expect(off.listeners.first?.trustedProxies == nil)
    }

    @Test("a trusted network contains its addresses and no others")
    func matching() throws {
        let config = try LoftConfiguration.parse(
            Self.withListenerKeys(#"proxy_protocol = true"# + "\n" + #"proxy_trusted = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "0.0.0.0/0"]"#),
            path: "loft.toml")
        let networks = try #require(config.listeners.first?.trustedProxies)
        let (tenSlash8, single, documentation6, everyIPv4) = (networks[0], networks[1], networks[2], networks[3])
        #expect(tenSlash8.contains(ipAddress: "10.255.3.4"))
        #expect(!tenSlash8.contains(ipAddress: "11.0.0.1"))
        #expect(single.contains(ipAddress: "192.0.2.7"))
        #expect(!single.contains(ipAddress: "192.0.2.8"))
        #expect(documentation6.contains(ipAddress: "2001:db8:ffff::1"))
        #expect(!documentation6.contains(ipAddress: "2001:db9::1"))
        #expect(!documentation6.contains(ipAddress: "10.0.0.1"))
        #expect(everyIPv4.contains(ipAddress: "203.0.113.9"))
        #expect(!everyIPv4.contains(ipAddress: "::1"))
        #expect(!everyIPv4.contains(ipAddress: "unknown"))
    }

    static let refusals: [Refusal] = [
        Refusal("proxy_protocol without proxy_trusted", withListenerKeys("proxy_protocol = true"),
                #"loft.toml: listener[0].proxy_trusted: required with proxy_protocol = true: the load balancers' addresses, like ["10.0.0.5", "10.1.0.0/16"]"#),
        Refusal("proxy_trusted without proxy_protocol", withListenerKeys(#"proxy_trusted = ["127.0.0.1"]"#),
                "loft.toml: listener[0].proxy_trusted: has no effect without proxy_protocol = true on this listener"),
        Refusal("empty proxy_trusted", withListenerKeys("proxy_protocol = true\nproxy_trusted = []"),
                "loft.toml: listener[0].proxy_trusted: must list at least one address or network"),
        Refusal("proxy_protocol as a string", withListenerKeys("proxy_protocol = \"v2\""),
                "loft.toml: listener[0].proxy_protocol: expected a boolean (true or false), got a string"),
        Refusal("proxy_trusted as a string", withListenerKeys("proxy_protocol = true\nproxy_trusted = \"10.0.0.0/8\""),
                "loft.toml: listener[0].proxy_trusted: expected an array of strings, got a string"),
        Refusal("a host name", withListenerKeys(#"proxy_protocol = true"# + "\n" + #"proxy_trusted = ["127.0.0.1", "lb.example.org"]"#),
                #"loft.toml: listener[0].proxy_trusted[1]: "lb.example.org" is not an IP address or network like "10.0.0.5", "10.0.0.0/8" or "fd00::/8""#),
        Refusal("prefix too long", withListenerKeys(#"proxy_protocol = true"# + "\n" + #"proxy_trusted = ["10.0.0.0/33"]"#),
                #"loft.toml: listener[0].proxy_trusted[0]: "10.0.0.0/33" the prefix length after "/" must be a number from 0 to 32"#),
        Refusal("host bits set", withListenerKeys(#"proxy_protocol = true"# + "\n" + #"proxy_trusted = ["10.1.2.3/8"]"#),
                #"loft.toml: listener[0].proxy_trusted[0]: "10.1.2.3/8" has bits set after the first 8 (did you mean "10.0.0.0/8"?)"#),
        Refusal("misspelt key", withListenerKeys("proxy_protocl = true"),
                #"loft.toml: listener[0].proxy_protocl: unknown key (did you mean "proxy_protocol"?)"#),
        Refusal("header timeout too long", ConfigFixtures.minimal + "[limits]\nproxy_header_timeout = \"2m\"\n",
                #"loft.toml: limits.proxy_header_timeout: must be from 100ms to 1m, got "2m""#),
    ]

    @Test("mistakes are refused naming the file, the key and the problem", arguments: refusals)
    func refused(_ refusal: Refusal) {
        #expect(throws: ConfigError.self) { try LoftConfiguration.parse(refusal.text, path: refusal.path) }
        do {
            _ = try LoftConfiguration.parse(refusal.text, path: refusal.path)
        } catch let error as ConfigError {
            #expect(error.description == refusal.expected)
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }
}
