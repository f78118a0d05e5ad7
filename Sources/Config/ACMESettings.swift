/// `[tls.acme]`: certificates obtained and renewed from an ACME CA (RFC 8555). Paths are absolute.
public struct ACMESettings: Sendable, Equatable {
    /// The key type of the certificates Loft asks for (`key_type`).
    public enum KeyType: String, Sendable, Equatable, CaseIterable {
        case ecdsaP256 = "ecdsa-p256"
        case rsa2048 = "rsa-2048"
    }

    /// How the CA checks that Loft controls a name (`challenge`).
    public enum Challenge: String, Sendable, Equatable, CaseIterable {
        /// RFC 8737, answered by every TLS listener (the CA connects to port 443).
        case tlsALPN01 = "tls-alpn-01"
        /// RFC 8555 §8.3, answered by an `http` listener (the CA connects to port 80).
        case http01 = "http-01"
    }

    /// Let's Encrypt's production directory, the default `directory`.
    public static let letsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"

    public var directory: String
    /// `mailto:` URLs for the CA's notices.
    public var contact: [String]
    /// The names on the certificate (the first is also its subject CN).
    public var names: [String]
    public var keyType: KeyType
    public var challenge: Challenge
    /// Extra trust anchors for the CA's HTTPS server (a private ACME CA).
    public var caFile: String?
    /// Where the account key and the certificate live: `<data_dir>/acme`.
    public var directoryPath: String

    public init(directory: String = ACMESettings.letsEncryptDirectory, contact: [String] = [], names: [String],
                keyType: KeyType = .ecdsaP256, challenge: Challenge = .tlsALPN01, caFile: String? = nil,
                directoryPath: String) {
        self.directory = directory
        self.contact = contact
        self.names = names
        self.keyType = keyType
        self.challenge = challenge
        self.caFile = caFile
        self.directoryPath = directoryPath
    }

    /// The account's private key (mode 0600).
    public var accountKeyPath: String { directoryPath + "/account.key" }
    /// The certificate chain in use, leaf first, followed by its private key: one file (mode 0600), so a
    /// renewal replaces both at once.
    public var certificatePath: String { directoryPath + "/certificate.pem" }
}
