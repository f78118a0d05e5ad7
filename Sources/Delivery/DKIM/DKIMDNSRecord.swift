import DNS
import TLS

/// The DNS TXT record that publishes a DKIM public key (RFC 6376 §3.6.1, §3.6.2.1; RFC 8463 §4):
/// `SELECTOR._domainkey.DOMAIN.` with `v=DKIM1; k=rsa|ed25519; p=BASE64`.
public struct DKIMDNSRecord: Sendable, Equatable {
    /// The owner name, absolute (ends in ".").
    public var name: String
    /// The record's text, before it is split into character-strings.
    public var value: String

    public init(domain: String, selector: String, algorithm: DKIMSigningKey.Algorithm, publicKeyBase64: String) {
        let domain = domain.hasSuffix(".") ? String(domain.dropLast()) : domain
        name = "\(selector)._domainkey.\(domain.lowercased())."
        value = "v=DKIM1; k=\(algorithm.keyType); p=\(publicKeyBase64)"
    }

    /// The record for `key` (its algorithm and public key).
    public init(domain: String, selector: String, key: DKIMSigningKey) {
        self.init(domain: domain, selector: selector, algorithm: key.algorithm, publicKeyBase64: key.publicKeyBase64)
    }

    /// The record in zone-file syntax on one line: `NAME IN TXT "..." "..."`.
    public var zoneFileLine: String {
        "\(name) IN TXT " + TXTRecordText.zoneFile(value)
    }
}
