import Config
import TLS

extension DNSRecordPlan.Keys {
    /// Reads the key digests from the configured files: the certificate a client asking for the host name
    /// gets (a `[[tls.sni]]` one that covers it, else the default), and `[tls] next_key`. Blocking.
    /// - Throws: `TLSError` naming the file that cannot be read.
    public static func load(_ configuration: LoftConfiguration) throws -> DNSRecordPlan.Keys {
        guard let tls = configuration.tls else { return DNSRecordPlan.Keys(certificateKeySHA256: nil, nextKeySHA256: nil) }
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
            nextKeySHA256: try tls.nextKey.map { try TLSCertificateSummary.publicKeySHA256(privateKeyFile: $0) })
    }
}
