/// Maps a user to the path of their INBOX Maildir (DESIGN.md, "Configuration and files"):
/// `<home>/Maildir` when the user has a home directory, otherwise
/// `<dataDirectory>/mail/<domain>/<localpart>/Maildir`.
public struct MaildirLocator: Sendable, Equatable {
    /// The data directory, e.g. `/var/lib/loft`.
    public let dataDirectory: String
    /// The domain used for user names without `@domain`.
    public let defaultDomain: String

    public init(dataDirectory: String, defaultDomain: String = "localhost") {
        self.dataDirectory = dataDirectory
        self.defaultDomain = defaultDomain
    }

    /// The Maildir path for `user` (`localpart@domain` or a bare `localpart`; split at the last `@`).
    /// The domain is lowercased (domains are case-insensitive); the local part is kept as written.
    /// - Parameter home: the user's home directory from the user database; empty or nil means none.
    /// - Throws: `MailStoreError.invalidUserName` when a part is empty, `.`, `..`, or contains `/` or NUL,
    ///   so a user name can never point outside the data directory.
    public func path(forUser user: String, home: String? = nil) throws -> String {
        if let home, !home.isEmpty {
            return (home.hasSuffix("/") ? String(home.dropLast()) : home) + "/Maildir"
        }
        let localPart: Substring
        let domain: String
        if let at = user.lastIndex(of: "@") {
            localPart = user[..<at]
            domain = user[user.index(after: at)...].lowercased()
        } else {
            localPart = Substring(user)
            domain = defaultDomain.lowercased()
        }
        for part in [String(localPart), domain] {
            if part.isEmpty || part == "." || part == ".." || part.contains("/") || part.contains("\0") {
                throw MailStoreError.invalidUserName(user)
            }
        }
        let base = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        return "\(base)/mail/\(domain)/\(localPart)/Maildir"
    }
}
