import Glibc
import MailStore

/// RFC 5464 METADATA: entries on a mailbox, or on the server (mailbox `""`), kept per user in a small file
/// (`MetadataFile`): a mailbox's in its Maildir folder, so RENAME carries them and DELETE drops them. Every
/// mailbox has one user, so `/private/` and `/shared/` entries are simply two namespaces (§3.2), both stored.
extension IMAPSession {
    func metadata(_ tag: String, _ command: IMAPMetadataCommand) {
        guard let account = requireAuthenticated(tag), metadataOffered(tag) else { return }
        switch command {
        case .get(let mailbox, let entries, let options): getMetadata(tag, mailbox, entries, options, account)
        case .set(let mailbox, let values): setMetadata(tag, mailbox, values, account)
        }
    }

    /// False, with BAD sent, where METADATA is withheld.
    private func metadataOffered(_ tag: String) -> Bool {
        guard withheldCapabilities.contains("METADATA") else { return true }
        bad(tag, "METADATA is not offered on this connection.")
        return false
    }

    /// The file behind `rawName` (`""`: the server's), and the name to answer with; nil after answering NO
    /// for a name that is not valid.
    private func metadataTarget(_ tag: String, _ rawName: IMAPMailboxName, _ account: IMAPAccount, _ what: String)
        -> (file: MetadataFile, wireName: String, folder: String?)? {
        if rawName.bytes.isEmpty { return (MetadataFile.server(root: account.folders.root), "\"\"", nil) }
        do {
            let name = try self.mailboxName(rawName)
            let folder = account.path(of: name)
            return (MetadataFile.mailbox(folder: folder), self.wireName(name), folder)
        } catch {
            fail(tag, error, what)
            return nil
        }
    }

    /// §4.2: each requested entry (NIL when it has no value) and, with DEPTH, the entries below it. MAXSIZE
    /// leaves out longer values and names the longest in `OK [METADATA LONGENTRIES n]` (§4.2.1).
    private func getMetadata(_ tag: String, _ rawName: IMAPMailboxName, _ requested: [IMAPMetadataEntryName],
                             _ options: IMAPMetadataOptions, _ account: IMAPAccount) {
        guard let target = metadataTarget(tag, rawName, account, "GETMETADATA failed") else { return }
        blocking { () -> [String: [UInt8]]? in
            if let folder = target.folder, !Self.isMailboxFolder(folder) { return nil }
            return try target.file.read()
        } then: { outcome in
            switch outcome {
            case .success(nil):
                self.complete(tag, .no, code: "NONEXISTENT", "GETMETADATA failed: no such mailbox.")
            case .success(let stored?):
                let (found, longest) = Self.select(from: stored, requested, options)
                if !found.isEmpty { self.emit(bytes: Self.metadataResponse(target.wireName, found)) }
                if let longest {
                    self.complete(tag, code: "METADATA LONGENTRIES \(longest)", "GETMETADATA completed; longer values left out.")
                } else {
                    self.complete(tag, "GETMETADATA completed.")
                }
            case .failure(let error):
                self.fail(tag, error, "GETMETADATA failed")
            }
        }
    }

    /// §4.3: all values set (NIL removes) or, on any refusal, none.
    private func setMetadata(_ tag: String, _ rawName: IMAPMailboxName, _ values: [IMAPMetadataValue], _ account: IMAPAccount) {
        let limits = configuration.limits
        if values.contains(where: { ($0.value?.count ?? 0) > limits.maxMetadataValueSize }) {
            return complete(tag, .no, code: "METADATA MAXSIZE \(limits.maxMetadataValueSize)",
                            "SETMETADATA failed: a value is longer than \(limits.maxMetadataValueSize) octets.")
        }
        guard let target = metadataTarget(tag, rawName, account, "SETMETADATA failed") else { return }
        let origin = self.origin
        let utf8 = utf8Names
        blocking { () -> Bool in
            if let folder = target.folder, !Self.isMailboxFolder(folder) { return false }
            try target.file.update { entries in
                let before = entries.count
                for value in values { entries[value.entry.name] = value.value }
                // Only a change that adds entries is refused: removing or replacing always works.
                if entries.count > limits.maxMetadataEntries && entries.count > before { throw MetadataTooMany() }
            }
            // RFC 5465 §5.6/§5.7: NOTIFY's MailboxMetadataChange and ServerMetadataChange.
            Self.publishTreeChange(account, origin: origin) {
                let mailbox = target.folder == nil ? nil : try account.folders.listing(of: [IMAPNames.mailbox(rawName, utf8: utf8)])[0]
                return .metadata(mailbox, entries: values.map(\.entry.name))
            }
            return true
        } then: { outcome in
            switch outcome {
            case .success(true):
                self.complete(tag, "SETMETADATA completed.")
            case .success(false), .failure(MailStoreError.system(_, _, ENOENT)):
                self.complete(tag, .no, code: "NONEXISTENT", "SETMETADATA failed: no such mailbox.")
            case .failure(is MetadataTooMany):
                self.complete(tag, .no, code: "METADATA TOOMANY",
                              "SETMETADATA failed: more than \(limits.maxMetadataEntries) entries.")
            case .failure(let error):
                self.fail(tag, error, "SETMETADATA failed")
            }
        }
    }

    /// What GETMETADATA returns from `stored`: in the order asked, each entry once; nil values for
    /// requested entries that have none (but not for `/private` and `/shared`, which never hold one). `longest`: the longest value left out for MAXSIZE.
    static func select(from stored: [String: [UInt8]], _ requested: [IMAPMetadataEntryName],
                       _ options: IMAPMetadataOptions) -> (found: [(String, [UInt8]?)], longest: Int?) {
        var found: [(String, [UInt8]?)] = []
        var seen: Set<String> = []
        var longest: Int?
        func add(_ name: String, _ value: [UInt8]?) {
            guard seen.insert(name).inserted else { return }
            if let value, let maxSize = options.maxSize, value.count > maxSize {
                longest = max(longest ?? 0, value.count)
                return
            }
            found.append((name, value))
        }
        let sortedNames = stored.keys.sorted()
        for entry in requested {
            if !entry.isNamespaceRoot { add(entry.name, stored[entry.name]) }
            for name in sortedNames where name != entry.name && entry.covers(name, depth: options.depth) {
                add(name, stored[name])
            }
        }
        return (found, longest)
    }

    /// `METADATA mailbox (entry value ...)` (§4.4.1); values as quoted strings where they can be, else literals.
    static func metadataResponse(_ wireName: String, _ entries: [(String, [UInt8]?)]) -> [UInt8] {
        var line = Array("* METADATA \(wireName) (".utf8)
        for (index, (name, value)) in entries.enumerated() {
            if index > 0 { line.append(UInt8(ascii: " ")) }
            line += Array(IMAPNames.quoted(name).utf8)
            line.append(UInt8(ascii: " "))
            guard let value else {
                line += Array("NIL".utf8)
                continue
            }
            if value.count <= 1024, value.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                line += Array(IMAPNames.quoted(String(decoding: value, as: UTF8.self)).utf8)
            } else {
                line += Array("{\(value.count)}\r\n".utf8) + value
            }
        }
        line.append(UInt8(ascii: ")"))
        return line
    }

    /// A selectable mailbox folder (it has `cur/`).
    private static func isMailboxFolder(_ folder: String) -> Bool {
        var info = stat()
        return stat(folder + "/cur", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}

/// SETMETADATA would pass `maxMetadataEntries`.
struct MetadataTooMany: Error {}
