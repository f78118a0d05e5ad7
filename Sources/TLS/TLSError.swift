internal import COpenSSL

/// An error from the TLS module: a startup problem with certificate or key files, a failed
/// handshake, a TLS protocol failure on a live connection, or an unclean shutdown.
///
/// `description` is the full human text: for file problems it names the file, for OpenSSL
/// failures it carries OpenSSL's own reason strings (`ERR_error_string_n`).
public struct TLSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for callers that branch on it.
    public enum Kind: Sendable, Equatable {
        /// A certificate or key file is missing or cannot be read.
        case fileUnreadable
        /// A certificate file holds no usable PEM certificate.
        case invalidCertificate
        /// A key file holds no usable PEM private key.
        case invalidPrivateKey
        /// The private key does not belong to the certificate.
        case keyMismatch
        /// The certificate's notAfter is in the past.
        case certificateExpired
        /// A configuration value is not acceptable (e.g. an ALPN id longer than 255 bytes).
        case invalidConfiguration
        /// OpenSSL failed while building a context or generating a certificate.
        case openSSLFailure
        /// The TLS handshake failed (protocol version, ALPN, garbage, ...).
        case handshakeFailed
        /// A TLS failure after the handshake (bad record, decrypt error, ...).
        case protocolFailure
        /// The peer closed the connection without sending close_notify (RFC 8446 section 6.1).
        case uncleanShutdown
    }

    /// The category of the failure.
    public let kind: Kind
    /// The file concerned, when there is one.
    public let file: String?
    /// Human text (also `description`).
    public let message: String

    public init(kind: Kind, file: String? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { message }

    /// The peer ended the TCP connection without a close_notify alert: data may have been truncated.
    public static let uncleanShutdown = TLSError(
        kind: .uncleanShutdown,
        message: "TLS peer closed the connection without close_notify (unclean shutdown)")

    /// Builds an error from a context text and everything in OpenSSL's per-thread error queue,
    /// which it empties.
    static func fromOpenSSL(_ kind: Kind, file: String? = nil, _ context: String) -> TLSError {
        let reasons = drainOpenSSLErrors()
        let text = reasons.isEmpty ? context : "\(context): \(reasons.joined(separator: "; "))"
        return TLSError(kind: kind, file: file, message: text)
    }

    /// Empties OpenSSL's per-thread error queue and returns its entries as
    /// "error:0A000102:SSL routines::unsupported protocol" strings.
    static func drainOpenSSLErrors() -> [String] {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons
    }
}
