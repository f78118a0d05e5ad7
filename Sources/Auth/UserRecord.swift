/// One user from the passwd-file.
public struct UserRecord: Sendable, Equatable {
    /// Canonical login `local@domain` (domain in lower case).
    public var login: String
    /// The part before the last `@`, exactly as written in the passwd-file.
    public var localPart: String
    /// The domain in lower case; the default domain for a name without `@`.
    public var domain: String
    /// The crypt(3) hash without any `{SCHEME}` prefix.
    public var passwordHash: String
    /// Field 3, if present and not empty.
    public var uid: UInt32?
    /// Field 4, if present and not empty.
    public var gid: UInt32?
    /// Field 6, if present and not empty.
    public var home: String?
    /// Field 8 (and anything after it), split on spaces: Dovecot's `key=value` extra fields.
    public var extraFields: [String]

    public init(
        login: String, localPart: String, domain: String, passwordHash: String,
        uid: UInt32? = nil, gid: UInt32? = nil, home: String? = nil, extraFields: [String] = []
    ) {
        self.login = login
        self.localPart = localPart
        self.domain = domain
        self.passwordHash = passwordHash
        self.uid = uid
        self.gid = gid
        self.home = home
        self.extraFields = extraFields
    }
}
