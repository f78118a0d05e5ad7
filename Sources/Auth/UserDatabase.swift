/// Where users come from: the passwd-file or a SQL database. Sessions, delivery and the
/// authenticator see only this protocol, never which backend answers.
///
/// Both lookups block (a file `stat`/read, or a wait for the database's reply): call them from a
/// thread pool, never from an event loop or Swift's cooperative pool.
public protocol UserDatabase: Sendable {
    /// For a login check (Dovecot's passdb): the user with its password hash; nil when there is no
    /// such user. The other fields may be empty where the backend answers them only in `user(_:)`.
    /// - Throws: `UserDatabaseUnavailable` when the answer is not known right now.
    func credentials(_ login: String) throws(UserDatabaseUnavailable) -> UserRecord?

    /// For mail access and delivery (Dovecot's userdb): the user's home, ids and extra fields; nil
    /// when there is no such user. `passwordHash` may be empty.
    /// - Throws: `UserDatabaseUnavailable` when the answer is not known right now.
    func user(_ login: String) throws(UserDatabaseUnavailable) -> UserRecord?
}

/// A lookup whose answer is not known right now (the database is down, the passwd-file is
/// unreadable and the user is not in its last good version): callers answer with a temporary
/// failure, never "no such user" or "wrong password". The description is for the log.
public struct UserDatabaseUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension PasswdFileUserDatabase: UserDatabase {
    public func credentials(_ login: String) throws(UserDatabaseUnavailable) -> UserRecord? {
        try user(login)
    }

    /// The user, or nil when the file on disk is the version loaded and has no such user.
    public func user(_ login: String) throws(UserDatabaseUnavailable) -> UserRecord? {
        if let found = lookup(login) { return found }
        if let problem = lastReloadError { throw UserDatabaseUnavailable("passwd-file: \(problem)") }
        return nil
    }
}

extension PasswordHash {
    /// The crypt(3) hash in a stored password field, as a passwd-file or a database column holds
    /// it: a known `{SCHEME}` prefix is stripped; plaintext and unknown schemes are refused.
    /// - Returns: the hash, or the problem (which never repeats the field).
    public static func cryptHash(storedField field: String) -> Result<String, UserDatabaseUnavailable> {
        do throws(PasswdFileParser.HashFieldError) {
            return .success(try PasswdFileParser.cryptHash(fromField: field))
        } catch {
            return .failure(UserDatabaseUnavailable(error.message))
        }
    }
}
