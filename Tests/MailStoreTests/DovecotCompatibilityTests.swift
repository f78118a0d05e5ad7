import Foundation
import MailStore
import Testing

/// What Dovecot (doveadm) reports about a Maildir, parsed from `doveadm -f tab` output.
struct DovecotReport {
    /// Mailbox name -> (UID -> IMAP flags and keywords, `\Recent` left out).
    var messages: [String: [UInt32: Set<String>]] = [:]
    /// Mailbox name -> (UIDVALIDITY, UIDNEXT).
    var status: [String: (uidValidity: UInt32, uidNext: UInt32)] = [:]
    var mailboxes: Set<String> = []
    var subscriptions: Set<String> = []

    /// Rows of a tab-separated table without its header line.
    static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    init(list: String, subscriptions: String, status: String, fetch: String) {
        mailboxes = Set(Self.rows(list).map { $0[0] })
        self.subscriptions = Set(Self.rows(subscriptions).map { $0[0] })
        for row in Self.rows(status) {
            // mailbox, messages, uidnext, uidvalidity
            self.status[row[0]] = (UInt32(row[3])!, UInt32(row[2])!)
        }
        for row in Self.rows(fetch) {
            let flags = Set(row[2].split(separator: " ").map(String.init)).subtracting(["\\Recent"])
            messages[row[0], default: [:]][UInt32(row[1])!] = flags
        }
    }
}

/// IMAP flags and keywords of a message as Loft stores them.
func imapFlags(of message: MaildirMessage, in maildir: Maildir) throws -> Set<String> {
    let names: [MaildirFlag: String] = [.seen: "\\Seen", .replied: "\\Answered", .flagged: "\\Flagged",
                                        .trashed: "\\Deleted", .draft: "\\Draft"]
    return Set(message.flags.compactMap { names[$0] }).union(try maildir.keywords(of: message))
}

/// Loft's view of every selectable mailbox: name -> (UIDVALIDITY, UIDNEXT, UID -> flags).
func loftView(_ store: MailboxStore) throws -> [String: (UInt32, UInt32, [UInt32: Set<String>])] {
    var view: [String: (UInt32, UInt32, [UInt32: Set<String>])] = [:]
    for mailbox in try store.list() where mailbox.isSelectable {
        let maildir = try store.openMailbox(mailbox.name.name)
        let snapshot = try maildir.synchronize()
        var flags: [UInt32: Set<String>] = [:]
        for message in snapshot.messages { flags[message.uid] = try imapFlags(of: message, in: maildir) }
        view[mailbox.name.name] = (snapshot.uidValidity, snapshot.nextUID, flags)
    }
    return view
}

@Suite struct DovecotCompatibilityTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/DovecotMaildir").path

    /// Copies the fixture's Maildir to `destination`, adding the empty `cur/`, `new/` and `tmp/` git cannot keep.
    static func copyFixture(to destination: String) throws {
        try FileManager.default.copyItem(atPath: fixture + "/Maildir", toPath: destination)
        let folders = try FileManager.default.contentsOfDirectory(atPath: destination).filter { $0.hasPrefix(".") }
        for directory in [destination] + folders.map({ destination + "/" + $0 }) {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
            }
        }
    }

    @Test func aMaildirWrittenByDovecotOpensWithTheSameFoldersUIDsFlagsAndKeywords() throws {
        let report = DovecotReport(
            list: try readText(Self.fixture + "/report/mailbox-list.txt"),
            subscriptions: try readText(Self.fixture + "/report/subscriptions.txt"),
            status: try readText(Self.fixture + "/report/mailbox-status.txt"),
            fetch: try readText(Self.fixture + "/report/fetch.txt"))
        #expect(report.mailboxes.contains("Entwürfe") && report.mailboxes.contains("日本語.メモ"))
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            try Self.copyFixture(to: root)
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            let list = try store.list()
            #expect(Set(list.map(\.name.name)) == report.mailboxes)
            // Dovecot does not create parents: those are listed, but not selectable.
            let noselect = Set(list.filter { !$0.isSelectable }.map(\.name.name))
            #expect(noselect == ["Archive", "日本語"])
            #expect(Set(try store.subscriptions().map(\.name)) == report.subscriptions)

            let view = try loftView(store)
            #expect(Set(view.keys) == Set(report.status.keys))
            for (name, (uidValidity, uidNext, flags)) in view {
                #expect(uidValidity == report.status[name]?.uidValidity, "UIDVALIDITY of \(name)")
                #expect(uidNext == report.status[name]?.uidNext, "UIDNEXT of \(name)")
                #expect(flags == report.messages[name] ?? [:], "flags of \(name)")
            }
        }
    }

    @Test func newDefaultFoldersJoinAMaildirFromDovecot() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            try Self.copyFixture(to: root)
            let store = try MailboxStore.open(root: root)
            let byName = Dictionary(uniqueKeysWithValues: try store.list().map { ($0.name.name, $0) })
            // Sent and Trash were there (messages kept), the others are new; Archive was only a parent.
            #expect(byName["Sent"]?.specialUse == .sent)
            #expect(try store.openMailbox("Sent").synchronize().messages.count == 2)
            #expect(byName["Trash"]?.specialUse == .trash)
            #expect(byName["Archive"]?.attributes == ["\\HasChildren", "\\Archive"])
            #expect(byName["Drafts"]?.specialUse == .drafts)
            #expect(byName["Junk"]?.specialUse == .junk)
            #expect(byName["Entwürfe"]?.isSubscribed == true)
        }
    }

    static let doveadm = ["/usr/bin/doveadm", "/usr/local/bin/doveadm"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test(.enabled(if: doveadm != nil, "doveadm is not installed (Debian: apt-get install dovecot-core)"))
    func doveadmReadsAMaildirLoftWrote() throws {
        let doveadm = try #require(Self.doveadm)
        try withTemporaryDirectory { base in
            let home = base + "/home"
            let root = home + "/Maildir"
            let store = try MailboxStore.open(root: root)
            try store.create("Entwürfe")
            try store.create("Projekte.2025")
            try store.create("A&B")
            try store.subscribe("Entwürfe")
            let inbox = try store.openMailbox("INBOX")
            let drafts = try store.openMailbox("Entwürfe")
            for n in 1...3 { _ = try inbox.deliver(Array("Subject: \(n)\n\nbody \(n)\n".utf8)) }
            _ = try drafts.deliver(Array("Subject: draft\n\nbody\n".utf8))
            let messages = try inbox.synchronize().messages
            _ = try inbox.setFlags([.seen, .replied], keywords: ["$Forwarded"], of: messages[0])
            _ = try inbox.setFlags([.flagged], keywords: ["work", "$Label1"], of: messages[1])
            _ = try drafts.setFlags([.draft], keywords: ["urgent"], of: try drafts.synchronize().messages[0])
            _ = try store.openMailbox("Projekte.2025").synchronize()
            let loft = try loftView(store)
            let loftMailboxes = Set(try store.list().map(\.name.name))
            let loftSubscriptions = Set(try store.subscriptions().map(\.name))

            let report = try Self.dovecotReport(doveadm: doveadm, base: base, home: home)
            #expect(report.mailboxes == loftMailboxes)
            #expect(report.subscriptions == loftSubscriptions)
            #expect(Set(report.status.keys) == Set(loft.keys))
            for (name, (uidValidity, uidNext, flags)) in loft {
                #expect(report.status[name]?.uidValidity == uidValidity, "UIDVALIDITY of \(name)")
                #expect(report.status[name]?.uidNext == uidNext, "UIDNEXT of \(name)")
                #expect(report.messages[name] ?? [:] == flags, "flags of \(name)")
            }
            #expect(report.messages["INBOX"]?[2] == ["\\Flagged", "work", "$Label1"])
            #expect(report.messages["Entwürfe"]?[1] == ["\\Draft", "urgent"])
        }
    }

    /// What doveadm reads in `home`/Maildir. Runs as in scripts/dovecot-maildir-fixture.sh:
    /// private config, no service; Dovecot refuses mail access as root, so as root it works as
    /// nobody on a tree it owns.
    static func dovecotReport(doveadm: String, base: String, home: String) throws -> DovecotReport {
        var owner = getuid()
        if owner == 0, let nobody = getpwnam("nobody") {
            owner = nobody.pointee.pw_uid
            try run("/bin/chown", ["-R", String(owner), home])
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base)
        }
        try FileManager.default.createDirectory(atPath: base + "/run", withIntermediateDirectories: true)
        try writeFile(base + "/dovecot.conf", """
            base_dir = \(base)/run
            state_dir = \(base)/run
            log_path = /dev/stderr
            ssl = no
            first_valid_uid = 0
            first_valid_gid = 0
            mail_uid = \(owner)
            mail_gid = \(owner)
            mail_location = maildir:~/Maildir
            namespace inbox {
              inbox = yes
              separator = .
              prefix =
            }

            """)
        func doveadmTable(_ arguments: [String]) throws -> String {
            try run(doveadm, ["-c", base + "/dovecot.conf", "-f", "tab"] + arguments,
                    environment: ["HOME": home, "USER": "loft-test", "PATH": "/usr/bin:/bin"])
        }
        return DovecotReport(
            list: try doveadmTable(["mailbox", "list"]),
            subscriptions: try doveadmTable(["mailbox", "list", "-s"]),
            status: try doveadmTable(["mailbox", "status", "uidvalidity uidnext messages", "*"]),
            fetch: try doveadmTable(["fetch", "mailbox uid flags", "all"]))
    }

    @Test(.enabled(if: doveadm != nil, "doveadm is not installed (Debian: apt-get install dovecot-core)"))
    func doveadmReadsWhatSharedMailboxWrote() throws {
        let doveadm = try #require(Self.doveadm)
        try withTemporaryDirectory { base in
            let home = base + "/home"
            let root = home + "/Maildir"
            let store = try MailboxStore.open(root: root)
            let registry = MailboxRegistry(cacheStamp: "test", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            let inbox = try registry.open(path: root)
            let archive = try registry.open(path: root + "/.Archive")
            for n in 1...3 { _ = try Maildir.open(path: root).deliver(Array("Subject: \(n)\n\nbody \(n)\n".utf8)) }
            try inbox.refresh()
            _ = try inbox.store([1, 2], flags: [.seen], keywords: ["$Forwarded"], mode: .add, origin: nil)
            _ = try inbox.store([2], flags: [.flagged], keywords: ["work"], mode: .replace, origin: nil)
            let append = try inbox.beginAppend(flags: [.draft], keywords: ["urgent"], internalDate: 1_700_000_000)
            try append.write(Array("Subject: appended\r\n\r\nhi\r\n".utf8))
            #expect(try append.commit(origin: nil) == 4)
            _ = try inbox.copy([2], to: archive, origin: nil)
            _ = try inbox.expunge([3], origin: nil)
            registry.release(inbox)
            registry.release(archive)
            let loft = try loftView(store)

            let report = try Self.dovecotReport(doveadm: doveadm, base: base, home: home)
            for (name, (uidValidity, uidNext, flags)) in loft {
                #expect(report.status[name]?.uidValidity == uidValidity, "UIDVALIDITY of \(name)")
                #expect(report.status[name]?.uidNext == uidNext, "UIDNEXT of \(name)")
                #expect(report.messages[name] ?? [:] == flags, "flags of \(name)")
            }
            #expect(report.messages["INBOX"] == [
                1: ["\\Seen", "$Forwarded"], 2: ["\\Flagged", "work"], 4: ["\\Draft", "urgent"]])
            #expect(report.messages["Archive"] == [1: ["\\Flagged", "work"]])
        }
    }
}

/// Runs a program, returns its standard output; throws when it fails.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw Failed(description: "\(executable) \(arguments) exited \(process.terminationStatus): "
                     + String(decoding: errorData, as: UTF8.self))
    }
    return String(decoding: data, as: UTF8.self)
}
