import Foundation
import Glibc
import POSIXSupport

/// A special-use attribute of a mailbox (RFC 6154).
public enum SpecialUse: String, Sendable, CaseIterable, Hashable {
    case drafts = "\\Drafts"
    case sent = "\\Sent"
    case trash = "\\Trash"
    case junk = "\\Junk"
    case archive = "\\Archive"
}

/// One mailbox as `MailboxStore.list()` sees it.
public struct MailboxInfo: Sendable, Equatable {
    public let name: MailboxName
    /// Whether it can be selected: INBOX, and every `.Name` directory with a `cur/`.
    public let isSelectable: Bool
    /// False for a missing intermediate level (`a` when only `.a.b` exists): RFC 5258 `\NonExistent`.
    public let exists: Bool
    /// Whether some mailbox lies below it.
    public let hasChildren: Bool
    public let specialUse: SpecialUse?
    public let isSubscribed: Bool

    /// A subscribed name whose mailbox does not exist (RFC 5258 §3.1: LIST (SUBSCRIBED) shows it).
    public static func subscribedButMissing(_ name: MailboxName) -> MailboxInfo {
        MailboxInfo(name: name, isSelectable: false, exists: false, hasChildren: false, specialUse: nil, isSubscribed: true)
    }

    /// The LIST attributes (RFC 3501, RFC 3348 child attributes, RFC 5258, RFC 6154), e.g.
    /// `["\\HasNoChildren", "\\Sent"]`. `\Subscribed` is LSUB/LIST-EXTENDED business and left out.
    public var attributes: [String] {
        var attributes: [String] = []
        if !exists { attributes.append("\\NonExistent") }
        if !isSelectable { attributes.append("\\Noselect") }
        attributes.append(hasChildren ? "\\HasChildren" : "\\HasNoChildren")
        if let specialUse { attributes.append(specialUse.rawValue) }
        return attributes
    }
}

/// The mailboxes of one user: a Maildir++ tree whose root is INBOX and whose folders are `.Name`
/// directories beside `cur/`, `new/` and `tmp/` (DESIGN.md "Storage: Maildir"; `MailboxName` explains
/// the `.` separator and the modified UTF-7 directory names). Also the user's `subscriptions` file and
/// which folders have special uses.
///
/// Compatible with Dovecot's default Maildir++ layout in both directions: same directory names, same
/// `subscriptions` format (version 2), one `dovecot-uidlist` and `dovecot-keywords` per folder, a
/// `maildirfolder` file in each folder. Special uses, which Dovecot keeps in its configuration, are in
/// `loft-special-use` at the root (Dovecot ignores it).
///
/// Decisions, where the RFCs leave room:
/// - CREATE does not create missing superior levels, as Dovecot's Maildir++ layout: `a.b` alone makes
///   `.a.b`; LIST shows `a` as `\NonExistent \Noselect \HasChildren`.
/// - DELETE of a folder with children removes its messages and leaves the name as `\Noselect`
///   (RFC 3501 section 6.3.4); DELETE of a `\Noselect` name with children is refused.
/// - RENAME moves children along and carries subscriptions and special uses to the new names.
///   RENAME of INBOX moves its messages into the new folder (new UIDs there, keywords and EMAILIDs kept) and
///   leaves INBOX empty with its UIDVALIDITY, next UID and MAILBOXID (RFC 3501 section 6.3.5, RFC 8474 §4);
///   folders below INBOX stay.
/// - New users (no `loft-special-use` yet) get Drafts, Sent, Trash, Junk and Archive, subscribed, on the
///   first open; a folder of that name that already exists (a Maildir from Dovecot) just gets the
///   special use. Deleting them later is the user's choice: they are not created again.
///
/// Every method blocks on disk I/O and `fsync`: call it from a thread pool. Changes to the folder tree
/// are serialized in this process; each is a rename or a created directory, so other processes see
/// the old or the new state (a RENAME of a folder with children renames them one by one).
public final class MailboxStore: Sendable {
    /// Limits per user, for IMAP `[LIMIT]`.
    public struct Limits: Sendable, Equatable {
        /// Folders (directories `.Name`, INBOX not counted).
        public var maximumFolders: Int
        /// Bytes of a folder's directory name (`.` + modified UTF-7); 255 is what file systems allow.
        public var maximumDirectoryNameBytes: Int

        public init(maximumFolders: Int = 1000, maximumDirectoryNameBytes: Int = 255) {
            self.maximumFolders = maximumFolders
            self.maximumDirectoryNameBytes = maximumDirectoryNameBytes
        }
    }

    /// A folder every new user gets.
    public struct DefaultFolder: Sendable, Equatable {
        public var name: String
        public var specialUse: SpecialUse

        public init(name: String, specialUse: SpecialUse) {
            self.name = name
            self.specialUse = specialUse
        }
    }

    /// Drafts, Sent, Trash, Junk, Archive with their RFC 6154 attributes.
    public static let standardFolders: [DefaultFolder] = [
        .init(name: "Drafts", specialUse: .drafts), .init(name: "Sent", specialUse: .sent),
        .init(name: "Trash", specialUse: .trash), .init(name: "Junk", specialUse: .junk),
        .init(name: "Archive", specialUse: .archive),
    ]

    /// The Maildir root (INBOX).
    public let root: String
    public let limits: Limits
    private let lock: NSLock

    private var subscriptionsPath: String { root + "/subscriptions" }
    private var specialUsePath: String { root + "/loft-special-use" }
    private static let stagingPrefix = "loft-folder-create-"
    private static let trashPrefix = "loft-folder-delete-"

    private init(root: String, limits: Limits) {
        self.root = root
        self.limits = limits
        self.lock = ProcessLockRegistry.lock(for: POSIX.realPath(root) + "#folders")
    }

    /// Opens the user's mailboxes at `root` (creating the INBOX Maildir when missing). On the first open
    /// (no `loft-special-use` file) creates and subscribes `defaultFolders`. Finishes deletions an
    /// earlier crash interrupted.
    public static func open(root: String, limits: Limits = Limits(),
                            defaultFolders: [DefaultFolder] = standardFolders) throws -> MailboxStore {
        let inbox = try Maildir.open(path: root, create: true)
        let store = MailboxStore(root: inbox.path, limits: limits)
        try store.locked {
            try store.removeLeftovers()
            if !defaultFolders.isEmpty, try POSIX.fileStatus(store.specialUsePath) == nil {
                try store.createDefaultFolders(defaultFolders)
            }
        }
        return store
    }

    // MARK: - Listing

    /// Every mailbox: INBOX first, then by name; missing intermediate levels included as `\NonExistent`.
    public func list() throws -> [MailboxInfo] {
        let folders = try folderDirectories()
        var all: [MailboxName: Bool] = [MailboxName(unchecked: "INBOX"): true]  // name -> exists
        for name in folders.keys {
            all[name] = true
            for ancestor in name.ancestors where all[ancestor] == nil { all[ancestor] = false }
        }
        let subscribed = Set(try subscriptions())
        let uses = try specialUses()
        // Whatever is an ancestor of some name has children: one pass, not a scan of every name per name.
        let parents = Set(all.keys.flatMap(\.ancestors))
        return all.keys.sorted().map { name in
            MailboxInfo(name: name, isSelectable: name.isInbox || folders[name] == true, exists: all[name] == true,
                        hasChildren: parents.contains(name),
                        specialUse: uses[name], isSubscribed: subscribed.contains(name))
        }
    }

    /// `names` as `list()` shows them now; a name that is not there comes back `\NonExistent`, with
    /// its subscription (RFC 5465 §5.4: how NOTIFY reports a created, deleted or renamed mailbox).
    public func listing(of names: [MailboxName]) throws -> [MailboxInfo] {
        let all = try list()
        let subscribed = Set(try subscriptions())
        return names.map { name in
            all.first { $0.name == name }
                ?? MailboxInfo(name: name, isSelectable: false, exists: false, hasChildren: false, specialUse: nil,
                               isSubscribed: subscribed.contains(name))
        }
    }

    /// The Maildir of a selectable mailbox (INBOX is the root). Each folder has its own
    /// `dovecot-uidlist` and `dovecot-keywords`.
    /// - Throws: `MailboxError.notFound` when there is no selectable mailbox of that name.
    public func openMailbox(_ name: String) throws -> Maildir {
        let mailbox = try validated(name)
        if mailbox.isInbox { return try Maildir.open(path: root, create: false) }
        let path = root + "/" + mailbox.directoryName
        guard try isDirectory(path + "/cur") else { throw MailboxError.notFound(mailbox.name) }
        // Dovecot creates tmp/ and new/ when it needs them; so do we.
        return try Maildir.open(path: path, create: true)
    }

    // MARK: - Create, delete, rename

    /// Creates a folder (RFC 3501 section 6.3.3; RFC 6154 CREATE-SPECIAL-USE): a `.Name` directory with
    /// `cur/`, `new/`, `tmp/` and `maildirfolder`, built under a temporary name and renamed into place.
    /// - Returns: the canonical name.
    /// - Throws: `MailboxError.invalidName`, `.nameTooLong`, `.alreadyExists`, `.folderLimitReached`.
    @discardableResult
    public func create(_ name: String, specialUse: SpecialUse? = nil) throws -> MailboxName {
        let mailbox = try validated(name)
        guard !mailbox.isInbox else { throw MailboxError.alreadyExists(mailbox.name) }
        return try locked {
            try createFolder(mailbox, folders: try folderDirectories())
            if let specialUse {
                var uses = try specialUses()
                uses[mailbox] = specialUse
                try writeSpecialUses(uses)
            }
            return mailbox
        }
    }

    /// Deletes a mailbox (RFC 3501 section 6.3.4). Its subscription stays, as the RFC asks.
    /// - Throws: `MailboxError.cannotDeleteInbox`, `.notFound`, `.hasChildren` (a `\Noselect` name with
    ///   inferiors).
    public func delete(_ name: String) throws {
        let mailbox = try validated(name)
        guard !mailbox.isInbox else { throw MailboxError.cannotDeleteInbox }
        try locked {
            let folders = try folderDirectories()
            let hasChildren = folders.keys.contains { $0.isInferior(to: mailbox) }
            guard let selectable = folders[mailbox] else {
                throw hasChildren ? MailboxError.hasChildren(mailbox.name) : MailboxError.notFound(mailbox.name)
            }
            let path = root + "/" + mailbox.directoryName
            let trash = root + "/" + Self.trashPrefix + Self.randomSuffix()
            if hasChildren {
                guard selectable else { throw MailboxError.hasChildren(mailbox.name) }
                // Keep the directory for the children's sake; everything in it goes, `cur/` first so
                // the name stops being selectable in one step.
                try POSIX.makeDirectory(trash, mode: 0o700)
                let all = try Self.entries(of: path)
                let entries = all.filter { $0 == "cur" } + all.filter { $0 != "cur" }
                for entry in entries { try POSIX.rename(path + "/" + entry, trash + "/" + entry) }
                try POSIX.fsyncDirectory(path)
            } else {
                try POSIX.rename(path, trash)
            }
            try POSIX.fsyncDirectory(root)
            MaildirQuota.invalidate(folder: root)  // its messages no longer count
            try Self.removeTree(trash)
            var uses = try specialUses()
            if uses.removeValue(forKey: mailbox) != nil { try writeSpecialUses(uses) }
        }
    }

    /// Renames a mailbox and everything below it (RFC 3501 section 6.3.5); for INBOX see the type's notes.
    /// - Throws: `MailboxError.notFound`, `.alreadyExists` (the new name or one of the children's new
    ///   names exists), `.renameIntoItself`, `.invalidName`, `.nameTooLong`, `.folderLimitReached`.
    public func rename(_ oldName: String, to newName: String) throws {
        let from = try validated(oldName)
        let to = try validated(newName)
        guard !to.isInbox else { throw MailboxError.alreadyExists(to.name) }
        if from.isInbox {
            try locked { try renameInbox(to: to) }
            return
        }
        guard from != to, !to.isInferior(to: from) else {
            throw MailboxError.renameIntoItself(from: from.name, to: to.name)
        }
        try locked {
            let folders = try folderDirectories()
            let moving = folders.keys.filter { $0 == from || $0.isInferior(to: from) }.sorted()
            guard !moving.isEmpty else { throw MailboxError.notFound(from.name) }
            var renamed: [MailboxName: MailboxName] = [:]
            for name in moving {
                let newName = try validated(to.name + String(name.name.dropFirst(from.name.count)))
                guard folders[newName] == nil else { throw MailboxError.alreadyExists(newName.name) }
                renamed[name] = newName
            }
            for name in moving {
                try POSIX.rename(root + "/" + name.directoryName, root + "/" + renamed[name]!.directoryName)
            }
            try POSIX.fsyncDirectory(root)

            var uses = try specialUses()
            var usesChanged = false
            for name in moving {
                if let use = uses.removeValue(forKey: name) {
                    uses[renamed[name]!] = use
                    usesChanged = true
                }
            }
            if usesChanged { try writeSpecialUses(uses) }
            try updateSubscriptions { names in
                names = try names.map { name in
                    guard name == from || name.isInferior(to: from) else { return name }
                    return try validated(to.name + String(name.name.dropFirst(from.name.count)))
                }
            }
        }
    }

    // MARK: - Subscriptions

    /// The subscribed names, in the order of the `subscriptions` file. Names need not exist
    /// (RFC 3501 section 6.3.6).
    public func subscriptions() throws -> [MailboxName] {
        let bytes: [UInt8]
        do {
            bytes = try POSIX.readFile(subscriptionsPath).bytes
        } catch MailStoreError.system(_, _, ENOENT) {
            return []
        }
        return Self.parseSubscriptions(String(decoding: bytes, as: UTF8.self))
    }

    /// Adds `name` to the subscriptions (nothing when it is there already).
    public func subscribe(_ name: String) throws {
        let mailbox = try validated(name)
        try locked { try updateSubscriptions { if !$0.contains(mailbox) { $0.append(mailbox) } } }
    }

    /// Removes `name` from the subscriptions (nothing when it is not there).
    public func unsubscribe(_ name: String) throws {
        let mailbox = try validated(name)
        try locked { try updateSubscriptions { $0.removeAll { $0 == mailbox } } }
    }

    /// Dovecot's `subscriptions` file. Version 2 (what Dovecot 2.x writes, and we write):
    /// `V<tab>2`, an empty line, then one name per line in modified UTF-7 with a tab between hierarchy
    /// levels. Version 1 (no header): one name per line with the hierarchy separator. Lines that are no
    /// valid name are skipped.
    static func parseSubscriptions(_ text: String) -> [MailboxName] {
        var lines = TextLines.split(text).map(String.init)
        let version2 = lines.first == "V\t2"
        if version2 { lines.removeFirst() }
        var names: [MailboxName] = []
        for line in lines where !line.isEmpty {
            let text = version2 ? line.replacingOccurrences(of: "\t", with: ".") : line
            guard let decoded = try? ModifiedUTF7.decode(text), let name = try? MailboxName(decoded),
                  !names.contains(name) else { continue }
            names.append(name)
        }
        return names
    }

    static func serializeSubscriptions(_ names: [MailboxName]) -> String {
        "V\t2\n\n" + names.map { ModifiedUTF7.encode($0.name).replacingOccurrences(of: ".", with: "\t") + "\n" }.joined()
    }

    private func updateSubscriptions(_ change: (inout [MailboxName]) throws -> Void) throws {
        let dotLock = try DotLock.acquire(path: subscriptionsPath + ".lock")
        defer { dotLock.release() }
        let before = try subscriptions()
        var names = before
        try change(&names)
        let missing = try POSIX.fileStatus(subscriptionsPath) == nil
        if names != before || missing {
            try DurableFile.replace(subscriptionsPath, with: Self.serializeSubscriptions(names), directory: root)
        }
    }

    // MARK: - Special use

    /// Which folders have which special use (`loft-special-use`: one `<attribute> <modified UTF-7 name>`
    /// per line).
    public func specialUses() throws -> [MailboxName: SpecialUse] {
        let bytes: [UInt8]
        do {
            bytes = try POSIX.readFile(specialUsePath).bytes
        } catch MailStoreError.system(_, _, ENOENT) {
            return [:]
        }
        var uses: [MailboxName: SpecialUse] = [:]
        for line in TextLines.split(String(decoding: bytes, as: UTF8.self)) where !line.isEmpty {
            guard let space = line.firstIndex(of: " "), let use = SpecialUse(rawValue: String(line[..<space])),
                  let decoded = try? ModifiedUTF7.decode(String(line[line.index(after: space)...])),
                  let name = try? MailboxName(decoded) else { continue }
            uses[name] = use
        }
        return uses
    }

    private func writeSpecialUses(_ uses: [MailboxName: SpecialUse]) throws {
        let text = uses.sorted { $0.key < $1.key }.map { "\($0.value.rawValue) \(ModifiedUTF7.encode($0.key.name))\n" }
        try DurableFile.replace(specialUsePath, with: text.joined(), directory: root)
    }

    // MARK: - Internals

    private func locked<Result>(_ body: () throws -> Result) throws -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func validated(_ name: String) throws -> MailboxName {
        try MailboxName(name, maximumDirectoryNameBytes: limits.maximumDirectoryNameBytes)
    }

    private func createDefaultFolders(_ defaults: [DefaultFolder]) throws {
        var folders = try folderDirectories()
        var uses = try specialUses()
        var names: [MailboxName] = []
        for folder in defaults {
            let name = try validated(folder.name)
            if folders[name] != true {
                try createFolder(name, folders: folders)
                folders[name] = true
            }
            uses[name] = folder.specialUse
            names.append(name)
        }
        try updateSubscriptions { subscribed in
            for name in names where !subscribed.contains(name) { subscribed.append(name) }
        }
        // Last: its presence means the defaults are done.
        try writeSpecialUses(uses)
    }

    /// Creates `.Name` under a temporary name and renames it into place; a `\Noselect` directory of that
    /// name (left by DELETE) becomes selectable again.
    private func createFolder(_ name: MailboxName, folders: [MailboxName: Bool]) throws {
        let target = root + "/" + name.directoryName
        if let selectable = folders[name] {
            guard !selectable else { throw MailboxError.alreadyExists(name.name) }
            try Self.populateFolder(target)
            return
        }
        guard folders.count < limits.maximumFolders else {
            throw MailboxError.folderLimitReached(limit: limits.maximumFolders)
        }
        let staging = root + "/" + Self.stagingPrefix + Self.randomSuffix()
        do {
            try POSIX.makeDirectory(staging, mode: 0o700)
            try Self.populateFolder(staging)
            try POSIX.rename(staging, target)
        } catch {
            try? Self.removeTree(staging)
            throw error
        }
        try POSIX.fsyncDirectory(root)
    }

    /// `cur/`, `new/`, `tmp/` and an empty `maildirfolder` file (Maildir++ marks folders so), durably.
    private static func populateFolder(_ path: String) throws {
        for directory in ["cur", "new", "tmp"] { try POSIX.makeDirectory(path + "/" + directory, mode: 0o700) }
        let marker = path + "/maildirfolder"
        let fd = try POSIX.open(marker, O_WRONLY | O_CREAT, mode: 0o600)
        defer { POSIX.close(fd) }
        try POSIX.fsync(fd, path: marker)
        try POSIX.fsyncDirectory(path)
    }

    private func renameInbox(to target: MailboxName) throws {
        var folders = try folderDirectories()
        guard folders[target] == nil else { throw MailboxError.alreadyExists(target.name) }
        try createFolder(target, folders: folders)
        folders[target] = true
        let inbox = try Maildir.open(path: root, create: false)
        let destination = root + "/" + target.directoryName
        let moved = try Maildir.open(path: destination, create: false)
        // The new folder's lock too: nothing numbers its files before their records are there.
        try inbox.withExclusiveAccess {
            try moved.withExclusiveAccess {
                // Keyword letters in the moved file names must mean the same there.
                let keywords = try inbox.readKeywords()
                if !keywords.names.isEmpty {
                    try DurableFile.replace(destination + "/dovecot-keywords", with: keywords.serialized(),
                                            directory: destination)
                }
                for directory in ["new", "cur"] {
                    for file in try POSIX.listDirectory(root + "/" + directory) {
                        do {
                            try POSIX.rename("\(root)/\(directory)/\(file)", "\(destination)/\(directory)/\(file)")
                        } catch MailStoreError.system(_, _, ENOENT) {
                            continue  // expunged meanwhile
                        }
                    }
                    try POSIX.fsyncDirectory(destination + "/" + directory)
                    try POSIX.fsyncDirectory(root + "/" + directory)
                }
                // INBOX keeps UIDVALIDITY and next UID: the moved UIDs are never handed out again there.
                if var list = try inbox.readUIDList(), !list.records.isEmpty {
                    // RFC 8474 §4: the new folder is a new mailbox (its own MAILBOXID) whose messages were moved
                    // there, so they keep their EMAILIDs: their records go along (in order, with new UIDs), `G`
                    // fields included.
                    var movedList = DovecotUIDList.fresh(uidValidity: UInt32(clamping: POSIX.now().seconds),
                                                         mailboxGUID: Maildir.makeGUID())
                    for record in list.records {
                        movedList.records.append(.init(uid: movedList.nextUID, extensions: record.extensions,
                                                       uniqueName: record.uniqueName))
                        movedList.nextUID += 1
                    }
                    try moved.writeUIDList(movedList)
                    list.records = []
                    try inbox.writeUIDList(list)
                }
            }
        }
    }

    /// Folder directories under the root: name -> selectable (has `cur/`).
    private func folderDirectories() throws -> [MailboxName: Bool] {
        var folders: [MailboxName: Bool] = [:]
        for entry in try Self.entries(of: root) where entry.hasPrefix(".") {
            guard let name = MailboxName(directoryName: entry), try isDirectory(root + "/" + entry) else { continue }
            folders[name] = try isDirectory(root + "/" + entry + "/cur")
        }
        return folders
    }

    /// Finishes deletions and removes half-made folders an earlier crash left (staging older than an hour:
    /// a younger one may be another process's CREATE in progress).
    private func removeLeftovers() throws {
        let hourAgo = POSIX.now().seconds - 3600
        for entry in try Self.entries(of: root) {
            let path = root + "/" + entry
            if entry.hasPrefix(Self.trashPrefix) {
                try Self.removeTree(path)
            } else if entry.hasPrefix(Self.stagingPrefix), let info = try POSIX.fileStatus(path),
                      info.st_mtim.tv_sec < hourAgo {
                try Self.removeTree(path)
            }
        }
    }

    private func isDirectory(_ path: String) throws -> Bool {
        guard let info = try POSIX.fileStatus(path) else { return false }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// Every name in a directory except `.` and `..` (dot files included).
    static func entries(of path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw POSIX.error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or a directory tree (symbolic links are removed, not followed).
    static func removeTree(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw POSIX.error("lstat", path)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            for entry in try entries(of: path) { try removeTree(path + "/" + entry) }
            if Glibc.rmdir(path) != 0 && errno != ENOENT { throw POSIX.error("rmdir", path) }
        } else {
            _ = try POSIX.unlink(path)
        }
    }

    private static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
