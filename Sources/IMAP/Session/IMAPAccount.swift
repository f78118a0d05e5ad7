import Glibc
import MailStore
import Synchronization

/// One logged-in user's mail: the folder tree (`MailboxStore`) and the process-wide table of
/// open mailboxes (`MailboxRegistry`) that every session, POP3 and delivery share.
/// Every method blocks on disk: call it on a thread pool.
public final class IMAPAccount: Sendable {
    public let login: String
    public let folders: MailboxStore
    public let registry: MailboxRegistry
    /// Extensions withheld from this user (on top of the listener's), upper case.
    public let withheldCapabilities: Set<String>
    /// The user's quota (one root, `""`: all folders), nil when no limit applies (RFC 9208).
    public let quota: MaildirQuota?
    /// What this account holds open in the registry (mailbox → opens), so whatever a session
    /// still holds when its connection drops mid-command is released with `closeAll`.
    private let opened = Mutex<[ObjectIdentifier: (mailbox: SharedMailbox, count: Int)]>([:])

    public init(login: String, folders: MailboxStore, registry: MailboxRegistry, withheldCapabilities: Set<String> = [],
                quota: QuotaLimits = .unlimited) {
        self.login = login
        self.folders = folders
        self.registry = registry
        self.withheldCapabilities = withheldCapabilities
        self.quota = quota.isUnlimited ? nil : MaildirQuota(root: folders.root, limits: quota)
    }

    /// The Maildir directory of a mailbox (INBOX is the root).
    public func path(of name: MailboxName) -> String {
        name.isInbox ? folders.root : folders.root + "/" + name.directoryName
    }

    /// Opens a selectable mailbox through the registry, up to date with the disk. Every
    /// successful call needs one `close`.
    /// - Throws: `MailboxError.notFound` when it does not exist or cannot be selected.
    public func open(_ name: MailboxName) throws -> SharedMailbox {
        guard try isSelectable(name) else { throw MailboxError.notFound(name.name) }
        let mailbox = try registry.open(path: path(of: name))
        do {
            try mailbox.refresh()
        } catch {
            registry.release(mailbox)
            throw error
        }
        opened.withLock { $0[ObjectIdentifier(mailbox), default: (mailbox, 0)].count += 1 }
        return mailbox
    }

    /// Gives back one `open`. Blocking: the last user of a mailbox writes its index.
    public func close(_ mailbox: SharedMailbox) {
        let held = opened.withLock { opened -> Bool in
            let key = ObjectIdentifier(mailbox)
            guard let entry = opened[key] else { return false }
            opened[key] = entry.count > 1 ? (mailbox, entry.count - 1) : nil
            return true
        }
        if held { registry.release(mailbox) }
    }

    /// Gives back every `open` not closed yet (the session ended). Blocking.
    public func closeAll() {
        let held = opened.withLock { opened in
            defer { opened = [:] }
            return Array(opened.values)
        }
        for entry in held {
            for _ in 0..<entry.count { registry.release(entry.mailbox) }
        }
    }

    /// Runs `body` on an opened mailbox and closes it again.
    public func withMailbox<T>(_ name: MailboxName, _ body: (SharedMailbox) throws -> T) throws -> T {
        let mailbox = try open(name)
        defer { close(mailbox) }
        return try body(mailbox)
    }

    /// A folder is selectable when its directory has `cur/` (a missing intermediate level of
    /// Maildir++ has none).
    private func isSelectable(_ name: MailboxName) throws -> Bool {
        var info = stat()
        return stat(path(of: name) + "/cur", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
