import Foundation
@testable import MailStore
import Testing

/// Expunged UIDs with their modseqs (RFC 7162 §3.2.5.2): exact answers while they reach back,
/// none (the caller falls back) once they do not; kept across a restart.
@Suite struct MailboxTombstonesTests {
    @Test func expungesAfterAModSeqAreExactAndOlderOnesAreAdmittedUnknown() {
        var tombstones = MailboxTombstones(floor: 100)
        tombstones.record([7, 9], modSeq: 105)
        tombstones.record([3], modSeq: 110)
        #expect(tombstones.uids(expungedAfter: 100) == [3, 7, 9])
        #expect(tombstones.uids(expungedAfter: 105) == [3])
        #expect(tombstones.uids(expungedAfter: 110) == [])
        #expect(tombstones.uids(expungedAfter: 99) == nil, "before the floor: not all known")
    }

    @Test func pastTheLimitTheOldestGoAndTheFloorRisesWithThem() {
        var tombstones = MailboxTombstones(floor: 1)
        for uid in 1...UInt32(MailboxTombstones.limit + 1) {
            tombstones.record([uid], modSeq: UInt64(uid) + 1)
        }
        #expect(tombstones.count == MailboxTombstones.limit * 3 / 4)
        let floor = tombstones.floor
        #expect(floor > 1)
        #expect(tombstones.uids(expungedAfter: floor - 1) == nil)
        let after = tombstones.uids(expungedAfter: floor)
        #expect(after?.count == tombstones.count)
        #expect(after?.first == UInt32(floor))
    }

    @Test func theyAreKeptInTheIndexFileAndAVersion1FileReadsWithNone() throws {
        var index = MailboxIndex()
        index.uidValidity = 5
        index.nextUID = 10
        index.highestModSeq = 500
        index.tombstones = MailboxTombstones(floor: 300)
        index.tombstones.record([2, 4], modSeq: 400)
        index.tombstones.record([8], modSeq: 450)
        let decoded = try #require(MailboxIndexFile.decode(MailboxIndexFile.encode(index)))
        #expect(decoded.tombstones == index.tombstones)

        // Version 1 was version 3 without the mailbox GUID (here empty: its length, two bytes after
        // the header's 32) and the tombstone section.
        var writer = ByteWriter(capacity: 512)
        var version3 = MailboxIndexFile.encode(index)
        version3.removeLast(8 + 8 + 4 + 3 * 12)  // checksum, floor, count, three tombstones
        writer.append(bytes: Array(version3[0..<4]))
        writer.append(UInt32(1))
        writer.append(bytes: Array(version3[8..<32]))
        writer.append(bytes: Array(version3[34...]))
        writer.appendChecksum()
        let old = try #require(MailboxIndexFile.decode(writer.bytes))
        #expect(old.state.messages == index.state.messages)
        #expect(old.tombstones.floor == 500 && old.tombstones.count == 0)
    }

    @Test func aRestartKeepsThemAndAnExternalDeleteIsRecordedToo() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 5)
            var registry = MailboxRegistry(cacheStamp: "v1")
            var mailbox = try registry.open(path: path)
            let start = mailbox.state.highestModSeq
            #expect(try mailbox.expunge([2], origin: nil) == [2])
            let afterFirst = mailbox.state.highestModSeq
            registry.release(mailbox)
            registry.shutdown()

            // Another program deletes message 4 while Loft is down.
            let cur = path + "/cur"
            let victim = try #require(try FileManager.default.contentsOfDirectory(atPath: cur).sorted().dropFirst(2).first)
            try FileManager.default.removeItem(atPath: cur + "/" + victim)

            registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            mailbox = try registry.open(path: path)
            #expect(mailbox.state.messages.map(\.uid) == [1, 3, 5])
            #expect(mailbox.state.tombstones.uids(expungedAfter: start) == [2, 4])
            #expect(mailbox.state.tombstones.uids(expungedAfter: afterFirst) == [4])
            registry.release(mailbox)
        }
    }
}
