internal import COpenSSL

/// The oldest TLS version a server context accepts. RFC 8997 deprecates TLS 1.0 and 1.1,
/// so the floor is TLS 1.2; TLS 1.3 is always enabled.
public enum TLSMinimumVersion: String, Sendable, CaseIterable {
    case tls12 = "1.2"
    case tls13 = "1.3"

    var openSSLVersion: Int32 {
        switch self {
        case .tls12: return TLS1_2_VERSION
        case .tls13: return TLS1_3_VERSION
        }
    }
}
