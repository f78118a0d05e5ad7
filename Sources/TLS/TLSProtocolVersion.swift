internal import COpenSSL

/// A TLS protocol version, as `loft check-tls` names them when it asks a server which ones it
/// accepts. Loft itself never offers anything below TLS 1.2 (`TLSMinimumVersion`, RFC 8997).
public enum TLSProtocolVersion: String, Sendable, CaseIterable, Comparable {
    case tls10 = "1.0"
    case tls11 = "1.1"
    case tls12 = "1.2"
    case tls13 = "1.3"

    var openSSLVersion: Int32 {
        switch self {
        case .tls10: return TLS1_VERSION
        case .tls11: return TLS1_1_VERSION
        case .tls12: return TLS1_2_VERSION
        case .tls13: return TLS1_3_VERSION
        }
    }

    public static func < (lhs: TLSProtocolVersion, rhs: TLSProtocolVersion) -> Bool {
        lhs.openSSLVersion < rhs.openSSLVersion
    }
}
