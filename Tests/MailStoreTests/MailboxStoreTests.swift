import Foundation
import MailStore
import Testing

@Suite struct MailboxStoreTests {
    private func attributes(_ store: MailboxStore) throws -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: try store.list().map { ($0.name.name, $0.attributes) })
    }

    @Test func newUserGetsSpecialUseFoldersSubscribed() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root)
            let list = try store.list()
            #expect(list.map(\.name.name) == ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"])
            let byName = Dictionary(uniqueKeysWithValues: list.map { ($0.name.name, $0) })
            #expect(byName["Drafts"]?.attributes == ["\\HasNoChildren", "\\Drafts"])
            #expect(byName["Sent"]?.specialUse == .sent)
            #expect(byName["Trash"]?.specialUse == .trash)
            #expect(byName["Junk"]?.specialUse == .junk)
            #expect(byName["Archive"]?.specialUse == .archive)
            #expect(byName["INBOX"]?.attributes == ["\\HasNoChildren"])
            #expect(list.filter { $0.name.name != "INBOX" }.allSatisfy { $0.isSubscribed })
            for folder in ["Drafts", "Sent", "Trash", "Junk", "Archive"] {
                #expect(fileNames(in: "\(root)/.\(folder)") == ["cur", "maildirfolder", "new", "tmp"])
            }
            #expect(try readText(root + "/subscriptions") == "V\t2\n\nDrafts\nSent\nTrash\nJunk\nArchive\n")

            // Deleted by the user: not created again on the next open.
            try store.delete("Junk")
            let reopened = try MailboxStore.open(root: root)
            #expect(try reopened.list().map(\.name.name) == ["INBOX", "Archive", "Drafts", "Sent", "Trash"])
        }
    }

    @Test func createsFoldersOnDiskAsDovecotDoes() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            #expect(try store.create("Entwürfe").name == "Entwürfe")
            try store.create("日本語.メモ")
            try store.create("A&B")
            try store.create("inbox.Sub")
            try store.create("Lists", specialUse: .archive)
            #expect(fileNames(in: root).filter { $0.hasPrefix(".") }
                == [".A&-B", ".Entw&APw-rfe", ".INBOX.Sub", ".Lists", ".&ZeVnLIqe-.&MOEw4g-"].sorted())
            let attributes = try attributes(store)
            #expect(attributes["INBOX"] == ["\\HasChildren"])
            #expect(attributes["INBOX.Sub"] == ["\\HasNoChildren"])
            // Dovecot's Maildir++ layout does not create missing parents either.
            #expect(attributes["日本語"] == ["\\NonExistent", "\\Noselect", "\\HasChildren"])
            #expect(attributes["日本語.メモ"] == ["\\HasNoChildren"])
            #expect(attributes["Lists"] == ["\\HasNoChildren", "\\Archive"])
            #expect(throws: MailboxError.alreadyExists("Entwürfe")) { try store.create("Entwürfe") }
            #expect(throws: MailboxError.alreadyExists("INBOX")) { try store.create("inbox") }

            // Each folder is its own Maildir with its own uidlist.
            let folder = try store.openMailbox("Entwürfe")
            _ = try folder.deliver(Array("Subject: x\n\nbody\n".utf8))
            #expect(try folder.synchronize().messages.map(\.uid) == [1])
            #expect(FileManager.default.fileExists(atPath: root + "/.Entw&APw-rfe/dovecot-uidlist"))
            #expect(try store.openMailbox("INBOX").synchronize().messages.isEmpty)
            #expect(throws: MailboxError.notFound("日本語")) { try store.openMailbox("日本語") }
            #expect(throws: MailboxError.notFound("Nope")) { try store.openMailbox("Nope") }
        }
    }

    @Test(arguments: [
        ("", "empty"), (".a", "empty hierarchy level (leading, trailing or doubled '.')"),
        ("a.", "empty hierarchy level (leading, trailing or doubled '.')"),
        ("a..b", "empty hierarchy level (leading, trailing or doubled '.')"),
        ("..", "empty hierarchy level (leading, trailing or doubled '.')"),
        ("a/b", "contains '/'"), ("../x", "contains '/'"), ("a*", "contains the IMAP wildcard '*'"),
        ("100%", "contains the IMAP wildcard '%'"), ("a\u{0}b", "contains a control character"),
        ("line\nbreak", "contains a control character"),
    ])
    func rejectsInvalidNames(_ name: String, _ reason: String) throws {
        try withTemporaryDirectory { base in
            let store = try MailboxStore.open(root: base + "/Maildir", defaultFolders: [])
            #expect(throws: MailboxError.invalidName(name, reason: reason)) { try store.create(name) }
            #expect(fileNames(in: base + "/Maildir") == ["cur", "new", "tmp"])
        }
    }

    @Test func enforcesNamedLimits() throws {
        try withTemporaryDirectory { base in
            let store = try MailboxStore.open(root: base + "/Maildir",
                                              limits: .init(maximumFolders: 2, maximumDirectoryNameBytes: 20),
                                              defaultFolders: [])
            try store.create("one")
            try store.create("two")
            #expect(throws: MailboxError.folderLimitReached(limit: 2)) { try store.create("three") }
            try store.delete("two")
            // "." + 19 bytes is allowed, 20 is not; non-ASCII counts as encoded.
            try store.create(String(repeating: "x", count: 19))
            try store.delete(String(repeating: "x", count: 19))
            #expect(throws: MailboxError.nameTooLong(String(repeating: "y", count: 20), limit: 20)) {
                try store.create(String(repeating: "y", count: 20))
            }
            #expect(throws: MailboxError.nameTooLong("日本語日本語日", limit: 20)) { try store.create("日本語日本語日") }
        }
    }

    @Test func deleteFollowsRFC3501() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            #expect(throws: MailboxError.cannotDeleteInbox) { try store.delete("INBOX") }
            #expect(throws: MailboxError.notFound("Nope")) { try store.delete("Nope") }
            try store.create("Parent")
            try store.create("Parent.Child")
            try store.subscribe("Parent")
            _ = try store.openMailbox("Parent").deliver(Array("Subject: x\n\nbody\n".utf8))

            // With children: the messages go, the name stays as \Noselect.
            try store.delete("Parent")
            #expect(try attributes(store)["Parent"] == ["\\Noselect", "\\HasChildren"])
            #expect(fileNames(in: root + "/.Parent").isEmpty)
            #expect(throws: MailboxError.notFound("Parent")) { try store.openMailbox("Parent") }
            // A \Noselect name with children cannot be deleted.
            #expect(throws: MailboxError.hasChildren("Parent")) { try store.delete("Parent") }
            // Subscriptions stay (RFC 3501 section 6.3.9).
            #expect(try store.subscriptions().map(\.name) == ["Parent"])

            try store.delete("Parent.Child")
            try store.delete("Parent")  // the leftover \Noselect directory
            #expect(try store.list().map(\.name.name) == ["INBOX"])
            #expect(fileNames(in: root) == ["cur", "new", "subscriptions", "tmp"])

            // CREATE of a \Noselect name makes it selectable again.
            try store.create("P.C")
            try store.create("P")
            try store.delete("P")
            try store.create("P")
            #expect(try attributes(store)["P"] == ["\\HasChildren"])
        }
    }

    @Test func renameMovesChildrenSubscriptionsAndSpecialUse() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            try store.create("Work", specialUse: .archive)
            try store.create("Work.2024")
            try store.create("Work.2024.Q1")
            try store.create("Workshop")
            try store.subscribe("Work.2024")
            try store.subscribe("Workshop")
            _ = try store.openMailbox("Work.2024").deliver(Array("Subject: x\n\nbody\n".utf8))
            let before = try store.openMailbox("Work.2024").synchronize()

            try store.rename("Work", to: "Jobs.Old")
            #expect(try store.list().map(\.name.name) == ["INBOX", "Jobs", "Jobs.Old", "Jobs.Old.2024",
                                                          "Jobs.Old.2024.Q1", "Workshop"])
            #expect(try store.subscriptions().map(\.name) == ["Jobs.Old.2024", "Workshop"])
            #expect(try store.specialUses() == [try MailboxName("Jobs.Old"): .archive])
            // Messages, UIDs and UIDVALIDITY move with the directory.
            let after = try store.openMailbox("Jobs.Old.2024").synchronize()
            #expect(after.uidValidity == before.uidValidity)
            #expect(after.messages.map(\.uid) == before.messages.map(\.uid))

            #expect(throws: MailboxError.renameIntoItself(from: "Workshop", to: "Workshop.x")) {
                try store.rename("Workshop", to: "Workshop.x")
            }
            #expect(throws: MailboxError.alreadyExists("Workshop")) { try store.rename("Jobs.Old", to: "Workshop") }
            #expect(throws: MailboxError.notFound("Nope")) { try store.rename("Nope", to: "Other") }
            #expect(throws: MailboxError.alreadyExists("INBOX")) { try store.rename("Workshop", to: "Inbox") }
            try store.create("X.2024")
            // A child's new name taken: nothing moves.
            #expect(throws: MailboxError.alreadyExists("X.2024")) { try store.rename("Jobs.Old", to: "X") }
            #expect(try store.list().contains { $0.name.name == "Jobs.Old" })
        }
    }

    @Test func renamingInboxMovesItsMessagesAndLeavesItEmpty() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            try store.create("INBOX.Kept")
            let inbox = try store.openMailbox("INBOX")
            for n in 1...3 { _ = try inbox.deliver(Array("Subject: \(n)\n\nbody\n".utf8)) }
            let snapshot = try inbox.synchronize()
            _ = try inbox.setFlags([.seen], keywords: ["work"], of: snapshot.messages[1])
            _ = try inbox.deliver(Array("Subject: 4\n\nbody\n".utf8))  // still in new/

            try store.rename("INBOX", to: "Old Mail")
            let emptied = try inbox.synchronize()
            #expect(emptied.messages.isEmpty)
            #expect(emptied.uidValidity == snapshot.uidValidity)
            #expect(emptied.nextUID == 4)  // UIDs 1-3 are never reused; the fourth had none yet
            let moved = try store.openMailbox("Old Mail")
            let movedSnapshot = try moved.synchronize()
            #expect(movedSnapshot.messages.count == 4)
            let tagged = try #require(movedSnapshot.messages.first { !$0.keywordLetters.isEmpty })
            #expect(try moved.keywords(of: tagged) == ["work"])
            #expect(tagged.flags == [.seen])
            // Folders below INBOX are not affected.
            #expect(try store.list().map(\.name.name) == ["INBOX", "INBOX.Kept", "Old Mail"])
            #expect(throws: MailboxError.alreadyExists("Old Mail")) { try store.rename("INBOX", to: "Old Mail") }
        }
    }

    @Test func subscriptionsReadBothDovecotFormats() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            try store.subscribe("Entwürfe")
            try store.subscribe("a.b")
            try store.subscribe("Entwürfe")
            try store.subscribe("Not there yet")
            #expect(try readText(root + "/subscriptions") == "V\t2\n\nEntw&APw-rfe\na\tb\nNot there yet\n")
            try store.unsubscribe("a.b")
            try store.unsubscribe("never subscribed")
            #expect(try store.subscriptions().map(\.name) == ["Entwürfe", "Not there yet"])

            // Version 1: one name per line with the separator; bad lines skipped.
            try writeFile(root + "/subscriptions", "INBOX\nSent\n&ZeVnLIqe-.&MOEw4g-\nbad&\n\nSent\n")
            #expect(try store.subscriptions().map(\.name) == ["INBOX", "Sent", "日本語.メモ"])
        }
    }
}
