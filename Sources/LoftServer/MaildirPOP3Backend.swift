import Auth
import MailStore
import POP3
import Synchronization

/// POP3's view of users and mail: `Auth` for logins, `MailStore` for the Maildir, and a lock so
/// one user has at most one POP3 session (RFC 2449 `IN-USE`): in this process (a set of logins,
/// checked first) and across processes sharing the store (`MaildropLock`).
final class MaildirPOP3Backend: POP3Backend {
    private let authenticator: Authenticator
    private let users: any UserDatabase
    private let penalty: FailurePenalty
    private let locator: MaildirLocator
    private let lockedLogins = Mutex<Set<String>>([])
    /// Tells open mailboxes (IMAP live sync) that a Maildir lost messages.
    private let mailboxChanged: @Sendable (String) -> Void

    init(authenticator: Authenticator, users: any UserDatabase, penalty: FailurePenalty, dataDirectory: String,
         mailboxChanged: @escaping @Sendable (String) -> Void) {
        self.mailboxChanged = mailboxChanged
        self.authenticator = authenticator
        self.users = users
        self.penalty = penalty
        self.locator = MaildirLocator(dataDirectory: dataDirectory)
    }

    func authenticate(username: String, password: String, clientIP: String) -> POP3AuthResult {
        authenticator.loginResult(username: username, password: password, clientIP: clientIP)
    }

    func failureDelay(clientIP: String) -> Duration {
        penalty.delay(for: clientIP)
    }

    func openMaildrop(login: String) throws(POP3MaildropError) -> any POP3Maildrop {
        let found: UserRecord?
        do throws(UserDatabaseUnavailable) { found = try users.user(login) } catch { throw .unavailable("\(error)") }
        guard let user = found else { throw .unavailable("user \(login) is no longer in the user database") }
        let acquired = lockedLogins.withLock { $0.insert(user.login).inserted }
        guard acquired else { throw .inUse }
        let release: @Sendable () -> Void = { [self] in
            _ = lockedLogins.withLock { $0.remove(user.login) }
        }
        do {
            let path = try locator.path(forUser: user.login, home: user.home)
            let maildir = try Maildir.open(path: path, create: true)
            guard let fileLock = try MaildropLock.acquire(maildir: path) else {
                release()
                throw POP3MaildropError.inUse
            }
            let releaseBoth: @Sendable () -> Void = {
                fileLock.release()
                release()
            }
            do {
                let snapshot = try maildir.synchronize()
                return MaildirPOP3Maildrop(maildir: maildir, snapshot: snapshot, release: releaseBoth, changed: mailboxChanged)
            } catch {
                fileLock.release()
                throw error
            }
        } catch let error as POP3MaildropError {
            throw error
        } catch {
            release()
            throw .unavailable("\(error)")
        }
    }
}

/// A user's INBOX as one POP3 session sees it: the messages present at login, numbered 1…n.
final class MaildirPOP3Maildrop: POP3Maildrop {
    let messages: [POP3MessageInfo]
    private let maildir: Maildir
    private let stored: [MaildirMessage]
    private let releaseLock: Mutex<(@Sendable () -> Void)?>
    private let changed: @Sendable (String) -> Void

    init(maildir: Maildir, snapshot: MaildirSnapshot, release: @escaping @Sendable () -> Void,
         changed: @escaping @Sendable (String) -> Void) {
        self.maildir = maildir
        self.changed = changed
        self.stored = snapshot.messages
        // Dovecot's default pop3_uidl_format "%08Xu%08Xv": the same Maildir shows the same UIDLs.
        self.messages = snapshot.messages.map {
            POP3MessageInfo(uniqueID: hex8($0.uid) + hex8(snapshot.uidValidity), size: $0.virtualSize)
        }
        self.releaseLock = Mutex(release)
    }

    func openMessage(_ index: Int) throws -> any POP3MessageReader {
        try maildir.openMessage(stored[index])
    }

    func delete(_ indices: [Int]) throws {
        try maildir.delete(indices.map { stored[$0] })
        changed(maildir.path)
    }

    func release() {
        let release = releaseLock.withLock { lock in
            defer { lock = nil }
            return lock
        }
        release?()
    }
}

private func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

extension MessageFileReader: POP3MessageReader {}
