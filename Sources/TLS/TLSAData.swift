/// One TLSA record's data (RFC 6698 section 2.1): certificate usage, selector, matching type and
/// the certificate association data.
public struct TLSAData: Sendable, Equatable {
    /// 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    public var usage: UInt8
    /// 0 the full certificate, 1 the SubjectPublicKeyInfo.
    public var selector: UInt8
    /// 0 exact match, 1 SHA-256, 2 SHA-512.
    public var matchingType: UInt8
    public var data: [UInt8]

    public init(usage: UInt8, selector: UInt8, matchingType: UInt8, data: [UInt8]) {
        self.usage = usage
        self.selector = selector
        self.matchingType = matchingType
        self.data = data
    }

    /// Whether SMTP may use this record. RFC 7672 section 3.1.3: only DANE-TA(2) and DANE-EE(3)
    /// are usable for SMTP; a record with an unknown selector or matching type, or a digest of the
    /// wrong length, is unusable (RFC 7671 section 5) and is skipped, never an error.
    var isUsableForSMTP: Bool {
        guard usage == 2 || usage == 3, selector <= 1 else { return false }
        switch matchingType {
        case 0: return !data.isEmpty
        case 1: return data.count == 32
        case 2: return data.count == 64
        default: return false
        }
    }
}
