import Config
import Foundation
import Testing

@Suite("[quota] limits and passwd-file overrides")
struct QuotaConfigTests {
    @Test func noSectionMeansNoLimits() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml")
        #expect(config.quota == QuotaSettings(storage: .unlimited, messages: .unlimited))
    }

    @Test func sizesCountsAndNoneAreRead() throws {
        let config = try LoftConfiguration.parse(
            ConfigFixtures.minimal + "[quota]\nstorage = \"1G\"\nmessages = 100000\n", path: "loft.toml")
        #expect(config.quota == QuotaSettings(storage: .atMost(1 << 30), messages: .atMost(100_000)))
        let none = try LoftConfiguration.parse(
            ConfigFixtures.minimal + "[quota]\nstorage = \"none\"\nmessages = 0\n", path: "loft.toml")
        #expect(none.quota == QuotaSettings())
        let quoted = try LoftConfiguration.parse(
            ConfigFixtures.minimal + "[quota]\nstorage = \"512K\"\nmessages = \"none\"\n", path: "loft.toml")
        #expect(quoted.quota == QuotaSettings(storage: .atMost(512 << 10), messages: .unlimited))
    }

    static let refusals: [(text: String, expected: String)] = [
        ("storage = \"1.5G\"", #"loft.toml: quota.storage: expected a size like "500M" or "1G", or "none", got "1.5G""#),
        ("storage = 100", "loft.toml: quota.storage: expected a string, got an integer"),
        ("messages = -1", #"loft.toml: quota.messages: expected a number of messages, or 0 or "none" for no limit, got -1"#),
        ("messages = \"lots\"", #"loft.toml: quota.messages: expected a number of messages, or 0 or "none" for no limit, got "lots""#),
        ("messages = 1.5", #"loft.toml: quota.messages: expected a number of messages, or 0 or "none" for no limit, got a floating-point number"#),
        ("storge = \"1G\"", #"loft.toml: quota.storge: unknown key (did you mean "storage"?)"#),
    ]

    @Test(arguments: refusals)
    func badValuesNameTheFileTheKeyAndTheProblem(_ refusal: (text: String, expected: String)) {
        #expect {
            try LoftConfiguration.parse(ConfigFixtures.minimal + "[quota]\n\(refusal.text)\n", path: "loft.toml")
        } throws: { error in
            "\(error)" == refusal.expected
        }
    }

    @Test func theSamplesCommentedOutSectionParsesOnceUncommented() throws {
        let sample = try String(contentsOfFile: ConfigFixtures.samplePath, encoding: .utf8)
        let enabled = sample
            .replacingOccurrences(of: "# [quota]\n", with: "[quota]\n")
            .replacingOccurrences(of: "# storage = \"1G\"", with: "storage = \"1G\"")
            .replacingOccurrences(of: "# messages = 100000", with: "messages = 100000")
        let config = try LoftConfiguration.parse(enabled, path: "/etc/loft/loft.toml")
        #expect(config.quota == QuotaSettings(storage: .atMost(1 << 30), messages: .atMost(100_000)))
    }

    @Test func passwdFileFieldsOverrideTheDefaultAndBadOnesAreReported() {
        let defaults = QuotaSettings(storage: .atMost(1 << 30), messages: .atMost(1000))
        let user = defaults.limits(extraFields: ["imap_withhold_capabilities=IDLE", "quota_storage=500M", "quota_messages=none"])
        #expect(user.settings == QuotaSettings(storage: .atMost(500 << 20), messages: .unlimited))
        #expect(user.problems.isEmpty)
        let zero = defaults.limits(extraFields: ["quota_storage=0"])
        #expect(zero.settings.storage == .unlimited)
        #expect(zero.settings.messages == .atMost(1000))
        // Dovecot's spelling of userdb fields is read too.
        #expect(defaults.limits(extraFields: ["userdb_quota_messages=5"]).settings.messages == .atMost(5))
        let bad = defaults.limits(extraFields: ["quota_storage=lots", "quota_messages=-3"])
        #expect(bad.settings == defaults)
        #expect(bad.problems == [
            #"quota_storage=lots: expected a size like "500M" or "1G", or "none""#,
            #"quota_messages=-3: expected a number of messages, or 0 or "none" for no limit"#,
        ])
    }
}
