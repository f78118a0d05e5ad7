import Config
import Delivery
import TLS

extension DNSRecordPlan.Keys {
    /// Reads the key digests from the configured files: the certificate a client asking for the host name
    /// gets (a `[[tls.sni]]` one that covers it, else the default), `[tls] next_key`, and the public key of
    /// every `[[dkim]]` entry. Blocking.
    /// - Throws: `TLSError` naming the file that cannot be read.
    public static func load(_ configuration: LoftConfiguration) throws -> DNSRecordPlan.Keys {
        let dkim = try configuration.dkim.map { settings in
            DNSRecordPlan.DKIMPublicKey(
                settings: settings,
                record: DKIMDNSRecord(domain: settings.domain, selector: settings.selector, key: try DKIMSigningKey(path: settings.keyFile)))
        }
        guard let tls = configuration.tls else {
            return DNSRecordPlan.Keys(certificateKeySHA256: nil, nextKeySHA256: nil, dkim: dkim)
        }
        var leaf: TLSCertificateSummary?
        for entry in tls.sni {
            if let candidate = try TLSCertificateSummary.load(pemFile: entry.certificate).first,
               DoctorRules.covers(candidate, name: configuration.hostname) {
                leaf = candidate
                break
            }
        }
        if leaf == nil { leaf = try TLSCertificateSummary.load(pemFile: tls.certificate).first }
        return DNSRecordPlan.Keys(
            certificateKeySHA256: leaf?.publicKeySHA256,
            nextKeySHA256: try tls.nextKey.map { try TLSCertificateSummary.publicKeySHA256(privateKeyFile: $0) },
            dkim: dkim)
    }
}
