import Auth
import Config
import IMAP
import LineProtocol
import Logging
import MailStore

/// IMAP's view of users and mail: `Auth` for logins, each user's Maildir++ tree for folders,
/// and the server's one `MailboxRegistry`, shared with POP3 and delivery, for open mailboxes.
final class MaildirIMAPBackend: IMAPBackend {
    private let authenticator: Authenticator
    private let users: any UserDatabase
    private let penalty: FailurePenalty
    private let locator: MaildirLocator
    private let registry: MailboxRegistry
    private let folderLimits: MailboxStore.Limits
    private let quota: QuotaSettings
    private let logger: Logger?

    init(authenticator: Authenticator, users: any UserDatabase, penalty: FailurePenalty, locator: MaildirLocator,
         registry: MailboxRegistry, folderLimits: MailboxStore.Limits, quota: QuotaSettings = QuotaSettings(),
         logger: Logger? = nil) {
        self.folderLimits = folderLimits
        self.quota = quota
        self.logger = logger
        self.authenticator = authenticator
        self.users = users
        self.penalty = penalty
        self.locator = locator
        self.registry = registry
    }

    func authenticate(username: String, password: String, clientIP: String) -> LoginResult {
        authenticator.loginResult(username: username, password: password, clientIP: clientIP)
    }

    func failureDelay(clientIP: String) -> Duration {
        penalty.delay(for: clientIP)
    }

    func openAccount(login: String) throws -> IMAPAccount {
        guard let user = try users.user(login) else { throw UserRemoved(login: login) }
        let root = try locator.path(forUser: user.login, home: user.home)
        return IMAPAccount(
            login: user.login, folders: try MailboxStore.open(root: root, limits: folderLimits), registry: registry,
            withheldCapabilities: Self.withheldCapabilities(user.extraFields),
            quota: UserQuota.limits(extraFields: user.extraFields, defaults: quota, login: user.login, logger: logger))
    }

    /// The user database's extra field `imap_withhold_capabilities=QRESYNC,CONDSTORE`: extensions this
    /// user is not offered (as a listener's `withhold_capabilities`; names Loft cannot withhold are ignored).
    static func withheldCapabilities(_ extraFields: [String]) -> Set<String> {
        let prefix = "imap_withhold_capabilities="
        guard let field = extraFields.last(where: { $0.hasPrefix(prefix) }) else { return [] }
        return Set(field.dropFirst(prefix.count).split(separator: ",").map { $0.uppercased() })
            .intersection(ListenerConfiguration.withholdableIMAPCapabilities)
    }
}

/// The user logged in, but the user database lost them before their mail opened.
struct UserRemoved: Error, CustomStringConvertible {
    var login: String
    var description: String { "user \(login) is no longer in the user database" }
}
