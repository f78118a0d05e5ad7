import POSIXSupport
import Synchronization

/// Users from a Dovecot-style passwd-file, reloaded automatically when the file changes.
///
/// Every `lookup` makes one `stat(2)` call; when device, inode, size, mtime or ctime differ
/// from the loaded version, the file is read again. If the new version cannot be read or
/// parsed, the previous users stay in effect and the problem is kept in `lastReloadError`
/// until a later version loads cleanly. Thread-safe; lookups block on file I/O, so call them
/// from a thread pool.
public final class PasswdFileUserDatabase: Sendable {
    /// Path of the passwd-file.
    public let path: String
    /// Domain for names without `@` (lower-cased).
    public let defaultDomain: String

    private struct State {
        var users: [String: UserRecord]
        var stamp: FileStamp
        var lastReloadError: PasswdFileError?
        /// The version on disk that failed to parse, so it is not parsed again on every lookup.
        var failedStamp: FileStamp?
    }

    private let state: Mutex<State>

    /// Loads the file.
    /// - Throws: `PasswdFileError` if the file cannot be read or has a broken line.
    public init(path: String, defaultDomain: String) throws(PasswdFileError) {
        self.path = path
        self.defaultDomain = defaultDomain.lowercased()
        let (bytes, stamp) = try FileSnapshot.read(path)
        let users = try PasswdFileParser.parse(bytes, path: path, defaultDomain: self.defaultDomain)
        state = Mutex(State(users: users, stamp: stamp, lastReloadError: nil, failedStamp: nil))
    }

    /// The problem with the current version of the file on disk, if it could not be loaded
    /// (the previous users are still served); nil once a version loaded cleanly.
    public var lastReloadError: PasswdFileError? {
        state.withLock { $0.lastReloadError }
    }

    /// All users currently loaded, sorted by login.
    public var allUsers: [UserRecord] {
        refreshIfChanged()
        return state.withLock { $0.users.values.sorted { $0.login < $1.login } }
    }

    /// The user for a login name as typed by the client (`alice` or `alice@Example.ORG`; the
    /// local part matches exactly, the domain case-insensitively), or nil if there is none.
    /// Re-reads the file first if it changed on disk.
    public func lookup(_ login: String) -> UserRecord? {
        guard let name = LoginName(login, defaultDomain: defaultDomain) else { return nil }
        refreshIfChanged()
        return state.withLock { $0.users[name.canonical] }
    }

    /// Re-reads the file now (e.g. on SIGHUP), even if it looks unchanged.
    /// - Throws: the load error; the previous users stay in effect and `lastReloadError` is set.
    public func reload() throws(PasswdFileError) {
        try state.withLock { (state: inout State) throws(PasswdFileError) in
            try load(into: &state)
        }
    }

    private func refreshIfChanged() {
        state.withLock { state in
            switch FileSnapshot.stamp(of: path) {
            case .success(let stamp) where stamp == state.stamp:
                // The loaded version is the one on disk (again).
                state.lastReloadError = nil
                state.failedStamp = nil
            case .success(let stamp) where stamp == state.failedStamp:
                return // Same broken version as last time: keep the old users and the error.
            case .success:
                try? load(into: &state)
            case .failure(let error):
                state.lastReloadError = error
            }
        }
    }

    /// Reads and parses the file; installs it on success, records the error otherwise.
    /// Runs under the lock so two threads never load the same version twice.
    private func load(into state: inout State) throws(PasswdFileError) {
        var readStamp: FileStamp?
        do {
            let (bytes, stamp) = try FileSnapshot.read(path)
            readStamp = stamp
            state.users = try PasswdFileParser.parse(bytes, path: path, defaultDomain: defaultDomain)
            state.stamp = stamp
            state.failedStamp = nil
            state.lastReloadError = nil
        } catch {
            state.failedStamp = readStamp
            state.lastReloadError = error
            throw error
        }
    }
}
