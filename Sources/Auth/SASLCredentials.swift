/// What a finished SASL exchange yields: the identity to check and its password.
public struct SASLCredentials: Sendable, Equatable {
    /// The authorization identity (RFC 4422 §2), nil when the client sent none. When present it
    /// equals `username`: acting as another user is not supported.
    public var authorizationID: String?
    /// The authentication identity (login name as typed).
    public var username: String
    /// The password.
    public var password: String

    public init(authorizationID: String? = nil, username: String, password: String) {
        self.authorizationID = authorizationID
        self.username = username
        self.password = password
    }
}

extension SASLCredentials: CustomStringConvertible {
    /// Never shows the password.
    public var description: String { "SASLCredentials(username: \(username), password: <redacted>)" }
}
