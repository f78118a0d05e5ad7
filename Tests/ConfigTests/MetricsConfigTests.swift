import Config
import Foundation
import Testing

@Suite("[metrics]: the Prometheus endpoint's address")
struct MetricsConfigTests {
    @Test func noSectionMeansNoEndpoint() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml")
        #expect(config.metrics == nil)
    }

    @Test func anEmptySectionListensOnLoopback() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal + "[metrics]\n", path: "loft.toml")
        #expect(config.metrics == MetricsSettings(listen: ListenAddress(host: "127.0.0.1", port: 9465)))
    }

    @Test func listenIsRead() throws {
        let v4 = try LoftConfiguration.parse(ConfigFixtures.minimal + "[metrics]\nlisten = \"0.0.0.0:9100\"\n", path: "loft.toml")
        #expect(v4.metrics?.listen == ListenAddress(host: "0.0.0.0", port: 9100))
        let v6 = try LoftConfiguration.parse(ConfigFixtures.minimal + "[metrics]\nlisten = \"[::1]:0\"\n", path: "loft.toml")
        #expect(v6.metrics?.listen == ListenAddress(host: "::1", port: 0))
    }

    static let refusals: [(text: String, expected: String)] = [
        ("listen = 9465", "loft.toml: metrics.listen: expected a string, got an integer"),
        ("listen = \"9465\"",
         #"loft.toml: metrics.listen: invalid address "9465": expected an address and a port, like "0.0.0.0:110" or "[::]:110""#),
        ("listen = \"localhost:9465\"",
         #"loft.toml: metrics.listen: invalid address "localhost:9465": "localhost" is not an IP address; listen on an IP address, like "0.0.0.0:110" or "[::]:110""#),
        ("listen = \"127.0.0.1:99999\"",
         #"loft.toml: metrics.listen: invalid address "127.0.0.1:99999": the port must be a number from 0 to 65535, got "99999""#),
        ("listen = \"127.0.0.1:110\"", "loft.toml: metrics.listen: 127.0.0.1:110 is already the address of listener[0]"),
        ("lisen = \"127.0.0.1:9465\"", #"loft.toml: metrics.lisen: unknown key (did you mean "listen"?)"#),
    ]

    @Test(arguments: refusals)
    func badValuesNameTheFileTheKeyAndTheProblem(_ refusal: (text: String, expected: String)) {
        #expect {
            try LoftConfiguration.parse(ConfigFixtures.minimal + "[metrics]\n\(refusal.text)\n", path: "loft.toml")
        } throws: { error in
            "\(error)" == refusal.expected
        }
    }

    @Test func aSectionOfTheWrongTypeIsRefused() {
        #expect {
            try LoftConfiguration.parse("metrics = true\n" + ConfigFixtures.minimal, path: "loft.toml")
        } throws: { error in
            "\(error)" == "loft.toml: metrics: expected a table ([metrics]), got a boolean"
        }
    }

    @Test func theSamplesCommentedOutSectionParsesOnceUncommented() throws {
        let sample = try String(contentsOfFile: ConfigFixtures.samplePath, encoding: .utf8)
        let enabled = sample
            .replacingOccurrences(of: "# [metrics]\n", with: "[metrics]\n")
            .replacingOccurrences(of: "# listen = \"127.0.0.1:9465\"", with: "listen = \"127.0.0.1:9465\"")
        let config = try LoftConfiguration.parse(enabled, path: "/etc/loft/loft.toml")
        #expect(config.metrics == MetricsSettings())
    }
}
