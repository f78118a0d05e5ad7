import Foundation
@testable import MailStore
import Testing

@Suite struct SharedMailboxTests {
    /// Runs `body` with a registry and the mailbox at `<base>/Maildir` holding `count` messages.
    func withMailbox(count: Int = 3, _ body: (MailboxRegistry, SharedMailbox, String) throws -> Void) throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: count)
            let registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            defer { registry.release(mailbox) }
            try body(registry, mailbox, path)
        }
    }

    @Test func storeAddsRemovesAndReplacesFlagsAndKeywordsInTheFileNames() throws {
        try withMailbox { _, mailbox, path in
            let added = try mailbox.store([1, 2, 99], flags: [.seen, .flagged], keywords: ["work", "$Forwarded"],
                                          mode: .add, origin: 7)
            #expect(added.map(\.uid) == [1, 2])
            #expect(try readText(path + "/dovecot-keywords") == "0 $Forwarded\n1 work\n")
            var state = mailbox.state
            #expect(state.keywordNames == ["$Forwarded", "work"])
            #expect(state.messages[0].flags == [.seen, .flagged])
            #expect(Set(state.keywords(of: state.messages[0])) == ["work", "$Forwarded"])
            #expect(fileNames(in: path + "/cur").filter { $0.hasSuffix(":2,FSab") }.count == 2)

            let removed = try mailbox.store([1], flags: [.flagged], keywords: ["work", "unknown"], mode: .remove, origin: nil)
            #expect(removed.map(\.flags) == [[.seen]])
            state = mailbox.state
            #expect(state.keywords(of: state.messages[0]) == ["$Forwarded"])
            #expect(state.keywordNames.count == 2, "removing an unknown keyword assigns no letter")

            let replaced = try mailbox.store([1, 2, 3], flags: [.answered], keywords: ["later"], mode: .replace, origin: nil)
            #expect(replaced.map(\.uid) == [1, 2, 3])
            state = mailbox.state
            #expect(state.messages.allSatisfy { $0.flags == [.answered] && state.keywords(of: $0) == ["later"] })
            #expect(fileNames(in: path + "/cur").allSatisfy { $0.hasSuffix(":2,Rc") })

            // What is on disk reads back the same (a new registry, index deleted).
            try FileManager.default.removeItem(atPath: path + "/loft-index")
            let other = MailboxRegistry(cacheStamp: "v1")
            defer { other.shutdown() }
            let reread = try other.open(path: path + "/")
            #expect(reread !== mailbox)
            #expect(reread.state.messages.map(\.flags) == state.messages.map(\.flags))
            #expect(reread.state.messages.map(\.keywordBits) == state.messages.map(\.keywordBits))
            other.release(reread)
        }
    }

    @Test func aTwentySeventhKeywordIsRefusedWithoutChangingAnything() throws {
        try withMailbox(count: 1) { _, mailbox, _ in
            _ = try mailbox.store([1], flags: [], keywords: (0..<26).map { "k\($0)" }, mode: .add, origin: nil)
            let before = mailbox.state
            #expect(throws: MailStoreError.keywordLimitReached(path: mailbox.path, limit: 26)) {
                try mailbox.store([1], flags: [.seen], keywords: ["one-too-many"], mode: .add, origin: nil)
            }
            #expect(throws: MailStoreError.keywordLimitReached(path: mailbox.path, limit: 26)) {
                try mailbox.beginAppend(flags: [], keywords: ["one-too-many"], internalDate: nil)
            }
            #expect(mailbox.state == before)
        }
    }

    @Test func expungeRemovesFilesAndUIDsAndSkipsMissingOnes() throws {
        try withMailbox { _, mailbox, path in
            let log = ChangeLog()
            let observation = mailbox.observe(log.record)
            defer { observation.cancel() }
            let removed = try mailbox.expunge([2, 3, 42], origin: 1)
            #expect(removed == [2, 3])
            #expect(mailbox.state.messages.map(\.uid) == [1])
            #expect(fileNames(in: path + "/cur").count == 1)
            let uidList = try readText(path + "/dovecot-uidlist")
            #expect(!uidList.contains("\n2 "))
            let again = try mailbox.expunge([2], origin: 1)
            #expect(again.isEmpty)
            #expect(log.expunged == [2, 3])
            #expect(log.all.first?.origin == 1)
            #expect(throws: MailStoreError.self) { try mailbox.readMessage(uid: 2) }
        }
    }

    @Test func appendStreamsAMessageWithFlagsKeywordsAndItsInternalDate() throws {
        try withMailbox(count: 0) { _, mailbox, path in
            let log = ChangeLog()
            let observation = mailbox.observe(log.record)
            defer { observation.cancel() }
            let date: Int64 = 1_600_000_000
            let append = try mailbox.beginAppend(flags: [.seen, .draft], keywords: ["$MDNSent"], internalDate: date)
            try append.write(Array("Subject: hi\r\n".utf8))
            try append.write(Array("\nbody\n".utf8))
            let uid = try append.commit(origin: 5)
            #expect(uid == 1)
            #expect(throws: MailStoreError.self) { try append.commit(origin: 5) }
            let record = try #require(mailbox.state.messages.first)
            #expect(record.uid == 1 && record.flags == [.seen, .draft] && record.internalDate == date)
            #expect(record.size == 19 && record.virtualSize == 21)
            #expect(mailbox.state.keywords(of: record) == ["$MDNSent"])
            #expect(mailbox.state.nextUID == 2)
            #expect(try mailbox.readMessage(uid: 1) == Array("Subject: hi\r\n\nbody\n".utf8))
            let name = try #require(fileNames(in: path + "/cur").first)
            #expect(name.hasSuffix(",S=19,W=21:2,DSa"))
            let info = try FileManager.default.attributesOfItem(atPath: path + "/cur/" + name)
            #expect((info[.modificationDate] as? Date)?.timeIntervalSince1970 == Double(date))
            #expect(try readText(path + "/dovecot-uidlist").contains("1 :" + name.prefix { $0 != ":" }))
            #expect(log.appended == [1] && log.all.first?.origin == 5)
            #expect(mailbox.claimRecent() == [1])

            let aborted = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
            try aborted.write(Array("x".utf8))
            aborted.abort()
            #expect(fileNames(in: path + "/tmp").isEmpty)
            #expect(mailbox.state.messages.count == 1)
        }
    }

    @Test func copyAndMoveKeepFlagsKeywordsAndDatesAndReturnUIDPairs() throws {
        try withMailbox(count: 3) { registry, source, path in
            let targetPath = path + "/.Archive"
            _ = try Maildir.open(path: targetPath)
            try writeFile(targetPath + "/dovecot-keywords", "0 other\n")
            let target = try registry.open(path: targetPath)
            defer { registry.release(target) }
            _ = try source.store([2], flags: [.flagged], keywords: ["work"], mode: .add, origin: nil)

            let copied = try source.copy([3, 2, 77], to: target, origin: nil)
            #expect(copied.map(\.source) == [2, 3] && copied.map(\.target) == [1, 2])
            let state = target.state
            #expect(state.messages.map(\.uid) == [1, 2])
            #expect(state.messages[0].flags == [.flagged])
            #expect(state.keywords(of: state.messages[0]) == ["work"])
            #expect(state.keywordNames == ["other", "work"], "mapped by name to the target's own letter")
            #expect(state.messages.map(\.internalDate) == source.state.messages.suffix(2).map(\.internalDate))
            #expect(try target.readMessage(uid: 1) == source.readMessage(uid: 2))
            #expect(target.claimRecent() == [1, 2])

            let moved = try source.move([1, 3], to: target, origin: nil)
            #expect(moved.map(\.source) == [1, 3] && moved.map(\.target) == [3, 4])
            #expect(source.state.messages.map(\.uid) == [2])
            #expect(target.state.messages.map(\.uid) == [1, 2, 3, 4])
            #expect(fileNames(in: targetPath + "/cur").count == 4)

            // Copying into the same mailbox works too.
            #expect(try target.copy([1], to: target, origin: nil).map(\.target) == [5])
        }
    }

    @Test func aBlobCacheSurvivesARestartForTheSameStampOnly() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 2)
            var registry = MailboxRegistry(cacheStamp: "parser-1")
            var mailbox = try registry.open(path: path)
            mailbox.setCachedBlob([1, 2, 3], uid: 2)
            mailbox.setCachedBlob([9], uid: 42)  // no such message: not kept
            #expect(mailbox.cachedBlob(uid: 2) == [1, 2, 3])
            registry.release(mailbox)
            registry.shutdown()

            registry = MailboxRegistry(cacheStamp: "parser-1")
            mailbox = try registry.open(path: path)
            #expect(mailbox.cachedBlob(uid: 2) == [1, 2, 3])
            #expect(mailbox.cachedBlob(uid: 42) == nil)
            _ = try mailbox.expunge([2], origin: nil)
            #expect(mailbox.cachedBlob(uid: 2) == nil)
            registry.release(mailbox)
            registry.shutdown()

            registry = MailboxRegistry(cacheStamp: "parser-2")
            mailbox = try registry.open(path: path)
            mailbox.setCachedBlob([4], uid: 1)
            registry.release(mailbox)
            registry.shutdown()
            registry = MailboxRegistry(cacheStamp: "parser-1")
            mailbox = try registry.open(path: path)
            #expect(mailbox.cachedBlob(uid: 1) == nil)
            registry.release(mailbox)
            registry.shutdown()
        }
    }
}
