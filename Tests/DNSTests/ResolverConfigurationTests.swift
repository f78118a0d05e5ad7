import DNS
import Foundation
import Testing

/// A configuration libunbound cannot use is refused when the resolver is made, naming the culprit.
@Suite struct ResolverConfigurationTests {
    private func configurationError(_ configuration: DNSResolverConfiguration) -> String? {
        do {
            _ = try DNSResolver(configuration: configuration)
            return nil
        } catch let DNSError.configuration(problem) {
            return problem
        } catch {
            return "unexpected error \(error)"
        }
    }

    @Test func aForwarderThatIsNotAnAddressIsNamed() throws {
        let problem = try #require(configurationError(.init(forwarders: ["127.0.0.1@5353", "dns.example@53"])))
        #expect(problem.contains("dns.example@53"), "\(problem)")
        #expect(!problem.contains("127.0.0.1@5353"), "\(problem)")
    }

    @Test func aMissingAnchorFileIsNamed() throws {
        let problem = try #require(configurationError(.init(
            forwarders: ["127.0.0.1"], trustAnchorFile: "/nonexistent/loft/root.key")))
        #expect(problem.contains("/nonexistent/loft/root.key"), "\(problem)")
        #expect(problem.contains("No such file"), "\(problem)")
    }

    @Test func anAnchorFileWithoutAnchorsIsNamed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loft-anchor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "example.test. IN DS not a digest\n".write(to: file, atomically: true, encoding: .utf8)
        let problem = try #require(configurationError(.init(forwarders: ["127.0.0.1"], trustAnchorFile: file.path)))
        #expect(problem.contains(file.path), "\(problem)")
    }

    @Test func anAnchorThatDoesNotParseIsNamed() throws {
        let good = "example.test. IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        let bad = "example.test. IN DS twelve 13 2 xyz"
        let problem = try #require(configurationError(.init(forwarders: ["127.0.0.1"], trustAnchors: [good, bad])))
        #expect(problem.contains(bad), "\(problem)")
        #expect(!problem.contains(good), "\(problem)")
    }

    @Test func theDebianRootAnchorLoads() throws {
        // dns-root-data: what a production configuration points at.
        let rootKey = "/usr/share/dns/root.key"
        try #require(FileManager.default.isReadableFile(atPath: rootKey), "dns-root-data is not installed")
        #expect(configurationError(.init(forwarders: ["127.0.0.1"], trustAnchorFile: rootKey,
                                         transparentZones: ["test"])) == nil)
    }
}
