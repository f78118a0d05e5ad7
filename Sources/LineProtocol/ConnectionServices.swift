import NIOCore
import Synchronization

/// What the server hands every connection of a listener: where blocking work runs, how to
/// start TLS, and who admits logins. `LoftServer` fills it; tests use the defaults.
public struct ConnectionServices: Sendable {
    /// Disk work: Maildir reads, fsync, rename, readdir.
    public var blockingWork: any BlockingWorkRunner
    /// Password checks (crypt, ~25 ms each) on a pool of their own, so an AUTH flood cannot
    /// delay message commits.
    public var passwordWork: any BlockingWorkRunner
    /// Inserts the TLS handler; nil where STARTTLS is not offered.
    public var startTLS: StartTLSUpgrade?
    /// Inserts the COMPRESS=DEFLATE layer (RFC 4978); nil where compression is not offered.
    public var compression: CompressionUpgrade?
    /// Counts logged-in sessions per user and address; nil admits every login.
    public var logins: (any LoginAdmission)?
    /// The client's address when the socket's peer is a load balancer that named it (a PROXY
    /// protocol header); nil: the socket's peer is the client.
    public var clientAddress: SocketAddress?
    /// The listener's login, penalty and storage-error counters; nil counts nothing.
    public var metrics: ConnectionMetrics?

    public init(
        blockingWork: any BlockingWorkRunner, passwordWork: (any BlockingWorkRunner)? = nil,
        startTLS: StartTLSUpgrade? = nil, logins: (any LoginAdmission)? = nil, compression: CompressionUpgrade? = nil
    ) {
        self.blockingWork = blockingWork
        self.passwordWork = passwordWork ?? blockingWork
        self.startTLS = startTLS
        self.logins = logins
        self.compression = compression
    }
}

/// The per user+address session limit (Dovecot's `mail_max_userip_connections`). Non-blocking.
public protocol LoginAdmission: Sendable {
    /// Takes one of `user`'s session slots for `clientIP`, or returns nil when they are all
    /// taken. The slot is held until the lease is released (when the connection closes).
    func admit(user: String, clientIP: String) -> LoginLease?
}

/// One admitted session's slot; `release()` gives it back (more calls do nothing).
public final class LoginLease: Sendable {
    private let onRelease: @Sendable () -> Void
    private let released = Atomic<Bool>(false)

    public init(onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    public func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { onRelease() }
    }
}

/// The limits every line-protocol connection has; each protocol fills them from its own.
public struct ConnectionLimits: Sendable, Equatable {
    /// Bytes of input held unprocessed (pipelined commands while one is being served). At this
    /// much, reading pauses until the session has caught up.
    public var maxBufferedInput: Int
    /// Time without input after which the session ends (RFC minimums apply per protocol).
    public var idleTimeout: Duration
    /// Time a connection gets to log in, counted from connect; nil for none.
    public var loginTimeout: Duration?

    public init(maxBufferedInput: Int, idleTimeout: Duration, loginTimeout: Duration?) {
        self.maxBufferedInput = maxBufferedInput
        self.idleTimeout = idleTimeout
        self.loginTimeout = loginTimeout
    }
}

/// The TLS mode of a listener, as every protocol sees it.
public enum TLSMode: Sendable, Equatable {
    /// No TLS offered.
    case none
    /// Plaintext first, TLS after STARTTLS/STLS (ports 587, 143, 110).
    case startTLS
    /// TLS from the first byte (ports 465, 993, 995; RFC 8314).
    case implicit
}

/// What a password check ends in, for every protocol.
public enum LoginResult: Sendable, Equatable {
    /// `login` is the canonical user name (`local@domain`).
    case success(login: String)
    case failure
    case temporaryFailure(String)
}

/// A login as the session sees it once the password was checked (`LineConnection.logIn`).
public enum LoginOutcome: Sendable, Equatable {
    /// `login` is the canonical user name; the session's slot is taken.
    case loggedIn(String)
    /// The password was right, but the user has too many sessions from this address.
    case tooManySessions
    case failed
    case temporaryFailure(String)
}
