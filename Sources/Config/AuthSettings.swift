/// The `[auth]` section: where users live and how failed logins are slowed down.
public struct AuthSettings: Sendable, Equatable {
    /// Default for `failure_delay`: the first delay after a failed login from an IP.
    public static let defaultFailureDelay = Duration.seconds(2)
    /// Default for `failure_delay_max`: the delay doubles after each failure up to this.
    public static let defaultFailureDelayMax = Duration.seconds(15)

    /// Where users live: `backend = "passwd-file"` (the default) or `"postgresql"`.
    public enum Backend: Sendable, Equatable {
        case passwdFile
        case postgresql(PostgresUserSettings)
    }

    /// The passwd-file in Dovecot's format (absolute once loaded); empty with another backend.
    public var passwdFile: String
    public var backend: Backend
    public var failureDelay: Duration
    /// Never less than `failureDelay` in a loaded configuration.
    public var failureDelayMax: Duration

    public init(
        passwdFile: String,
        backend: Backend = .passwdFile,
        failureDelay: Duration = AuthSettings.defaultFailureDelay,
        failureDelayMax: Duration = AuthSettings.defaultFailureDelayMax
    ) {
        self.passwdFile = passwdFile
        self.backend = backend
        self.failureDelay = failureDelay
        self.failureDelayMax = failureDelayMax
    }
}
