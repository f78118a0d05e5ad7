/// Checks a login name and password against the user database and feeds the failure penalty.
///
/// `authenticate` blocks (the user database's lookup and a crypt hash, ~25 ms for yescrypt): run
/// it on a thread pool. Before calling it, the caller should wait `penalty.delay(for: clientIP)`.
public final class Authenticator: Sendable {
    /// Where users and their hashes come from.
    public let users: any UserDatabase
    /// Records every success and failure per client IP.
    public let penalty: FailurePenalty

    /// Verified instead of a real hash when the user does not exist, so an unknown user costs
    /// as much time as a wrong password (the reply time must not reveal which users exist).
    /// Default-cost yescrypt, like `PasswordHash.make`; its password is irrelevant.
    static let dummyHash = "$y$j9T$GnH9JfJEVQhF/wvK7HYPF/$BG9WScxJ1rsg5y7BQBLMsmwE.WHa32.IQ//bIw6iJL/"

    public init(users: any UserDatabase, penalty: FailurePenalty) {
        self.users = users
        self.penalty = penalty
    }

    /// Authenticates `login` (as the client typed it) with `password`, and records the outcome
    /// for `clientIP` in the penalty (a temporary failure is not counted against the client).
    public func authenticate(login: String, password: String, clientIP: String) -> AuthResult {
        let found: UserRecord?
        do throws(UserDatabaseUnavailable) {
            found = try users.credentials(login)
        } catch {
            return .temporaryFailure("user database unavailable: \(error)")
        }
        guard let user = found else {
            _ = PasswordHash.verify(password: password, against: Self.dummyHash)
            penalty.recordFailure(ip: clientIP)
            return .failure
        }
        guard PasswordHash.verify(password: password, against: user.passwordHash) else {
            penalty.recordFailure(ip: clientIP)
            return .failure
        }
        penalty.recordSuccess(ip: clientIP)
        return .success(user)
    }
}
