import Foundation
@testable import MailStore
import Testing

@Suite struct MailboxIndexTests {
    @Test func theIndexFileReadsBackExactlyAndADamagedOneIsRejected() throws {
        var index = MailboxIndex()
        index.uidValidity = 1234
        index.nextUID = 9
        index.highestModSeq = 77
        index.modSeqCeiling = 10_077
        index.mailboxGUID = "0123456789abcdef0123456789abcdef"
        index.keywords = MaildirKeywords(parsing: "0 $Forwarded\n2 work\n")
        index.stamps = MaildirStamps(new: nil, cur: nil, uidList: nil, keywords: nil, takenAt: timespec(tv_sec: 5, tv_nsec: 6))
        index.append(MessageRecord(uid: 3, flags: [.seen, .flagged], keywordBits: 0b101, modSeq: 70,
                                   internalDate: 1_700_000_000, size: 100, virtualSize: 104,
                                   emailID: EmailID(value: UInt128.max - 1)),
                     at: MessageLocation(directory: .cur, fileName: "1.M2P3.host,S=100,W=104:2,FSac"))
        index.append(MessageRecord(uid: 8, flags: [], keywordBits: 0, modSeq: 77, internalDate: -5, size: 1,
                                   virtualSize: 1, emailID: EmailID(value: 1 << 64 | 7)),
                     at: MessageLocation(directory: .new, fileName: "2.M2P3.hööst"))
        let bytes = MailboxIndexFile.encode(index)
        let decoded = try #require(MailboxIndexFile.decode(bytes))
        #expect(decoded.state == index.state)
        #expect(decoded.locations == index.locations)
        #expect(decoded.stamps == index.stamps)
        #expect(decoded.modSeqCeiling == 10_077)
        #expect(decoded.state.mailboxID == "0123456789abcdef0123456789abcdef")
        #expect(decoded.records.map(\.emailID.description)
                == ["fffffffffffffffffffffffffffffffe", "00000000000000010000000000000007"])

        var damaged = bytes
        damaged[40] ^= 1
        #expect(MailboxIndexFile.decode(damaged) == nil)
        #expect(MailboxIndexFile.decode(Array(bytes.dropLast())) == nil)
        #expect(MailboxIndexFile.decode([]) == nil)
    }

    @Test func anUnchangedMailboxOpensFromTheIndexWithoutReadingTheDirectories() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 5, flags: "S")
            let first = MailboxRegistry(cacheStamp: "v1")
            let cold = try first.open(path: path)
            #expect(cold.rescanCount.load(ordering: .relaxed) == 1)
            let coldState = cold.state
            #expect(coldState.messages.map(\.uid) == [1, 2, 3, 4, 5])
            first.release(cold)
            first.shutdown()
            #expect(FileManager.default.fileExists(atPath: path + "/loft-index"))

            let second = MailboxRegistry(cacheStamp: "v1")
            defer { second.shutdown() }
            let warm = try second.open(path: path)
            #expect(warm.rescanCount.load(ordering: .relaxed) == 0)
            #expect(warm.state == coldState)
            // Still nothing to read while nothing changes.
            try warm.refresh()
            #expect(warm.rescanCount.load(ordering: .relaxed) == 0)
            second.release(warm)
        }
    }

    @Test func aDeletedOrDamagedIndexIsRebuiltWithTheSameUIDsFlagsAndKeywords() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            try DovecotCompatibilityTests.copyFixture(to: root)
            let registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: root)
            let original = mailbox.state
            #expect(original.uidValidity == 1796608215)
            #expect(original.messages.map(\.uid) == [1, 2, 3, 4])
            let keywordsByUID = Dictionary(uniqueKeysWithValues: original.messages.map { ($0.uid, Set(original.keywords(of: $0))) })
            #expect(keywordsByUID[2] == ["$Forwarded"])
            #expect(keywordsByUID[3] == ["work", "$Label1"])
            #expect(original.messages[1].flags == [.seen, .answered])
            registry.release(mailbox)

            for damage in ["delete", "garbage"] {
                if damage == "delete" {
                    try FileManager.default.removeItem(atPath: root + "/loft-index")
                } else {
                    try writeFile(root + "/loft-index", "LFTX not really an index")
                }
                let reopened = try registry.open(path: root)
                let rebuilt = reopened.state
                #expect(rebuilt.uidValidity == original.uidValidity)
                #expect(rebuilt.nextUID == original.nextUID)
                #expect(rebuilt.messages.map(\.uid) == original.messages.map(\.uid))
                #expect(rebuilt.messages.map(\.flags) == original.messages.map(\.flags))
                #expect(rebuilt.messages.map { Set(rebuilt.keywords(of: $0)) } == original.messages.map { Set(original.keywords(of: $0)) })
                #expect(rebuilt.highestModSeq >= original.highestModSeq, "never backwards in one process")
                registry.release(reopened)
            }
        }
    }

    @Test func highestModSeqOnlyGrowsAcrossStoreExpungeAppendAndReopen() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 3)
            var registry = MailboxRegistry(cacheStamp: "v1")
            var mailbox = try registry.open(path: path)
            var seen = [mailbox.state.highestModSeq]
            let stored = try mailbox.store([1, 2], flags: [.seen], keywords: [], mode: .add, origin: nil)
            #expect(stored.map(\.modSeq) == [mailbox.state.highestModSeq, mailbox.state.highestModSeq])
            seen.append(mailbox.state.highestModSeq)
            #expect(try mailbox.expunge([3], origin: nil) == [3])
            seen.append(mailbox.state.highestModSeq)
            let append = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
            try append.write(Array("Subject: new\n\nx\n".utf8))
            let uid = try append.commit(origin: nil)
            #expect(uid == 4)
            seen.append(mailbox.state.highestModSeq)
            #expect(mailbox.state.messages.last?.modSeq == mailbox.state.highestModSeq)
            // A store that changes nothing does not bump.
            #expect(try mailbox.store([1], flags: [.seen], keywords: [], mode: .add, origin: nil).isEmpty)
            #expect(mailbox.state.highestModSeq == seen.last)
            registry.release(mailbox)
            registry.shutdown()

            registry = MailboxRegistry(cacheStamp: "v1")
            mailbox = try registry.open(path: path)
            seen.append(mailbox.state.highestModSeq)
            _ = try mailbox.store([1], flags: [.flagged], keywords: [], mode: .add, origin: nil)
            seen.append(mailbox.state.highestModSeq)
            registry.release(mailbox)
            registry.shutdown()
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 <= $1 }, "\(seen)")
            #expect(Set(seen).count >= 5)
        }
    }
}
