import Foundation
import Glibc
@testable import MailStore
import Testing

@Suite("Maildir++ quota: maildirsize format, recording and recalculation")
struct MaildirQuotaTests {
    static let limits = QuotaLimits(storage: 10_000, messages: 100)
    /// The size of each message `makeMaildir` writes.
    static let messageSize = Int64("Subject: test\n\nbody\n".utf8.count)

    @Test func theFileFormatSumsEveryLineAndKeepsTheDefinition() {
        let text = "1000S,50C\n   300    3\n-100 -1\n25 1\n"
        let parsed = MaildirSizeFile.parse(Array(text.utf8))
        #expect(parsed?.definition == "1000S,50C")
        #expect(parsed?.usage == QuotaUsage(storage: 225, messages: 3))
        // A line still being appended (no newline yet) is not counted.
        #expect(MaildirSizeFile.parse(Array("10S\n5 1\n7".utf8))?.usage == QuotaUsage(storage: 5, messages: 1))
        #expect(MaildirSizeFile.parse(Array("10S\n5 x\n".utf8)) == nil)
        #expect(MaildirSizeFile.parse(Array("10S\n".utf8)) == nil)
        #expect(MaildirSizeFile.definition(QuotaLimits(storage: 5)) == "5S")
        #expect(MaildirSizeFile.definition(QuotaLimits(messages: 7)) == "7C")
    }

    @Test func aMissingFileIsRecalculatedOverEveryFolderFromTheSizesInTheNames() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/Maildir"
            try makeMaildir(root, count: 3)
            try makeMaildir(root + "/.Archive", count: 2)
            try makeMaildir(root + "/.Archive.2024", count: 1)
            // A name without S= is measured with stat.
            try writeFile(root + "/new/1700000001.plain.host", "12345")
            let quota = MaildirQuota(root: root, limits: Self.limits)
            let usage = try quota.usage()
            #expect(usage == QuotaUsage(storage: 6 * Self.messageSize + 5, messages: 7))
            #expect(try readText(root + "/maildirsize") == "10000S,100C\n\(6 * Self.messageSize + 5) 7\n")
        }
    }

    @Test func appendCopyMoveAndExpungeAreRecordedWithoutARecalculation() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/Maildir"
            try makeMaildir(root, count: 2)
            try makeMaildir(root + "/.Archive", count: 0)
            let quota = MaildirQuota(root: root, limits: Self.limits)
            #expect(try quota.usage() == QuotaUsage(storage: 2 * Self.messageSize, messages: 2))
            let registry = MailboxRegistry(cacheStamp: "v1")
            let inbox = try registry.open(path: root)
            let archive = try registry.open(path: root + "/.Archive")
            defer { registry.release(inbox); registry.release(archive) }

            let append = try inbox.beginAppend(flags: [], keywords: [], internalDate: nil)
            try append.write(Array("Subject: new\r\n\r\nhello\r\n".utf8))
            _ = try append.commit(origin: nil)
            let appended = Int64("Subject: new\r\n\r\nhello\r\n".utf8.count)
            let afterAppend = QuotaUsage(storage: 2 * Self.messageSize + appended, messages: 3)
            #expect(try quota.usage() == afterAppend)

            let uids = inbox.state.messages.map(\.uid)
            _ = try inbox.copy([uids[0]], to: archive, origin: nil)
            #expect(try quota.usage() == afterAppend + QuotaUsage(storage: Self.messageSize, messages: 1))
            _ = try inbox.move([uids[1]], to: archive, origin: nil)
            #expect(try quota.usage() == afterAppend + QuotaUsage(storage: Self.messageSize, messages: 1))
            _ = try archive.expunge(archive.state.messages.map(\.uid), origin: nil)
            #expect(try quota.usage() == QuotaUsage(storage: Self.messageSize + appended, messages: 2))

            // Every change was one line: the file was never rewritten.
            let lines = try readText(root + "/maildirsize").split(separator: "\n")
            #expect(lines.count == 1 + 1 + 5)  // definition, recalculation, append, copy, move (+1, -1), expunge
            // And the count agrees with the disk.
            #expect(try quota.recalculate() == QuotaUsage(storage: Self.messageSize + appended, messages: 2))
        }
    }

    @Test func concurrentChangesFromManyThreadsAllCount() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/Maildir"
            try makeMaildir(root, count: 0)
            let quota = MaildirQuota(root: root, limits: Self.limits)
            #expect(try quota.usage() == .zero)
            try makeMaildir(root + "/.Sent", count: 0)
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                for _ in 0..<25 {
                    MaildirQuota.record(QuotaUsage(storage: 10, messages: 1), inFolder: root + (worker % 2 == 0 ? "" : "/.Sent"))
                }
            }
            #expect(try quota.usage() == QuotaUsage(storage: 2000, messages: 200))
        }
    }

    @Test func aCheckRefusesWhatWouldPassALimitAndTakesWhatFitsExactly() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/Maildir"
            try makeMaildir(root, count: 2)
            let used = 2 * Self.messageSize
            let byBytes = MaildirQuota(root: root, limits: QuotaLimits(storage: used + 100))
            try byBytes.check(adding: QuotaUsage(storage: 100, messages: 1))
            #expect(throws: QuotaExceeded.self) { try byBytes.check(adding: QuotaUsage(storage: 101, messages: 1)) }
            let byCount = MaildirQuota(root: root, limits: QuotaLimits(messages: 3))
            try byCount.check(adding: QuotaUsage(storage: 1_000_000, messages: 1))
            #expect(throws: QuotaExceeded.self) { try byCount.check(adding: QuotaUsage(storage: 1, messages: 2)) }
            // No limits: no file is even made.
            try MaildirQuota(root: root + "/none", limits: .unlimited).check(adding: QuotaUsage(storage: 1 << 40, messages: 1))
        }
    }

    @Test func changedLimitsAnOversizedFileAndAnotherProgramsExpungeForceARecalculation() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/Maildir"
            try makeMaildir(root, count: 3)
            let quota = MaildirQuota(root: root, limits: Self.limits)
            #expect(try quota.usage().messages == 3)

            // A wrong count under other limits is not trusted.
            try writeFile(root + "/maildirsize", "1S\n999 999\n")
            #expect(try quota.usage().messages == 3)

            // A file past 5120 bytes is folded into one line.
            try writeFile(root + "/maildirsize", "10000S,100C\n" + String(repeating: "0 0\n", count: 1300))
            #expect(try quota.usage().messages == 3)
            #expect(try readText(root + "/maildirsize").split(separator: "\n").count == 2)

            // Another program removes a message of an open mailbox: the rescan drops the file.
            let registry = MailboxRegistry(cacheStamp: "v1")
            let inbox = try registry.open(path: root)
            defer { registry.release(inbox) }
            let victim = try #require(fileNames(in: root + "/cur").first)
            try FileManager.default.removeItem(atPath: root + "/cur/" + victim)
            registry.changed(path: root)
            try inbox.refresh()
            #expect(!FileManager.default.fileExists(atPath: root + "/maildirsize"))
            #expect(try quota.usage().messages == 2)
        }
    }

    @Test func deletingAFolderDropsItsMessagesFromTheCount() throws {
        try withTemporaryDirectory { directory in
            let root = directory + "/Maildir"
            try makeMaildir(root, count: 1)
            let store = try MailboxStore.open(root: root)
            _ = try store.create("Old")
            try makeMaildir(root + "/.Old", count: 4)
            let quota = MaildirQuota(root: root, limits: Self.limits)
            #expect(try quota.usage().messages == 5)
            try store.delete("Old")
            #expect(try quota.usage().messages == 1)
        }
    }

    @Test func theRootOfAFolderIsTheMaildirAboveIt() throws {
        try withTemporaryDirectory { directory in
            try makeMaildir(directory + "/Maildir", count: 0)
            #expect(MaildirQuota.root(ofFolder: directory + "/Maildir/.Sent") == directory + "/Maildir")
            #expect(MaildirQuota.root(ofFolder: directory + "/Maildir") == directory + "/Maildir")
            // A root that is itself named with a dot has no Maildir above it.
            try makeMaildir(directory + "/.maildir", count: 0)
            #expect(MaildirQuota.root(ofFolder: directory + "/.maildir") == directory + "/.maildir")
        }
    }
}
