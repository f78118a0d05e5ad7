import Config
import Foundation
import Testing

@Suite("Outbound settings: the queue, [dns], [outbound_tls] and [[relay]]")
struct OutboundConfigTests {
    @Test("defaults: 5 days, 5 minutes doubling to an hour, 4 connections per domain, port 25, TLS may")
    func defaults() throws {
        let config = try LoftConfiguration.parse(ConfigFixtures.minimal, path: "loft.toml")
        #expect(config.delivery.queueLifetime == .seconds(432_000))
        #expect(config.delivery.retryAfter == .seconds(300) && config.delivery.maxRetryInterval == .seconds(3600))
        #expect(config.delivery.destinationConcurrency == 4 && config.delivery.smtpPort == 25)
        #expect(config.delivery.delayNoticeAfter == .seconds(4 * 3600))
        #expect(config.outboundTLS == OutboundTLSSettings())
        #expect(config.relays.isEmpty && config.dns.forwarders.isEmpty)
    }

    @Test("every outbound key is read; paths are made absolute; [delivery] may leave out local_domains")
    func everyKey() throws {
        let text = ConfigFixtures.minimal + """
            [delivery]
            queue_lifetime = "2d"
            retry_after = "1m"
            max_retry_interval = "30m"
            destination_concurrency = 2
            delay_notice_after = "0s"
            smtp_port = 2525

            [dns]
            forwarders = ["127.0.0.1@5353", "::1"]
            trust_anchor_file = "root.key"
            trust_anchors = ["example.test. IN DS 1 13 2 AB"]
            transparent_zones = ["example.test."]

            [outbound_tls]
            ca_file = "ca.pem"
            default_level = "encrypt"
            [[outbound_tls.policy]]
            domain = "Bank.example"
            level = "secure"
            match = ["mx.bank.example"]
            [[outbound_tls.policy]]
            domain = ".pinned.example"
            level = "fingerprint"
            fingerprints = ["AB:\(String(repeating: "cd", count: 31))"]

            [[relay]]
            domains = ["partner.example"]
            host = "Relay.example.net:587"
            tls = "starttls"
            username = "loft"
            password_file = "relay.secret"
            """
        let config = try LoftConfiguration.parse(text, path: "/etc/loft/loft.toml")
        #expect(config.delivery == DeliverySettings(
            localDomains: ["mail.example.org"], queueLifetime: .seconds(172_800), retryAfter: .seconds(60),
            maxRetryInterval: .seconds(1800), destinationConcurrency: 2, delayNoticeAfter: nil, smtpPort: 2525))
        #expect(config.dns == DNSSettings(
            forwarders: ["127.0.0.1@5353", "::1"], trustAnchorFile: "/etc/loft/root.key",
            trustAnchors: ["example.test. IN DS 1 13 2 AB"], transparentZones: ["example.test."]))
        #expect(config.outboundTLS == OutboundTLSSettings(caFile: "/etc/loft/ca.pem", defaultLevel: .encrypt, policies: [
            .init(domain: "bank.example", level: .secure, match: ["mx.bank.example"]),
            .init(domain: ".pinned.example", level: .fingerprint, fingerprints: ["ab" + String(repeating: "cd", count: 31)]),
        ]))
        #expect(config.relays == [RelaySettings(
            domains: ["partner.example"], host: "relay.example.net", port: 587, tls: .starttls, username: "loft",
            passwordFile: "/etc/loft/relay.secret")])
    }
}
