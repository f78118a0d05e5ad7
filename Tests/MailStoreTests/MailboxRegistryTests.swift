import Foundation
@testable import MailStore
import Testing

@Suite struct MailboxRegistryTests {
    @Test func oneMailboxPerPathWhileInUseThenDropped() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 1)
            let registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            let first = try registry.open(path: path)
            let second = try registry.open(path: path + "/")
            #expect(first === second)
            registry.release(first)
            #expect(try registry.open(path: path) === second, "still one user left")
            registry.release(second)
            registry.release(second)
            let later = try registry.open(path: path)
            #expect(later !== first)
            #expect(later.state.highestModSeq >= first.state.highestModSeq)
            registry.release(later)
            #expect(throws: MailStoreError.notAMaildir(path: base + "/nothing")) {
                try registry.open(path: base + "/nothing")
            }
        }
    }

    @Test func observersSeeChangesMadeThroughAnotherUserOfTheMailbox() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 2)
            let registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            let sessionA = try registry.open(path: path)
            let sessionB = try registry.open(path: path)
            let log = ChangeLog()
            let (observation, startState) = sessionB.observeWithState(log.record)
            #expect(startState.messages.count == 2)
            _ = try sessionA.store([1], flags: [.seen], keywords: [], mode: .add, origin: 11)
            _ = try sessionA.expunge([2], origin: 11)
            #expect(log.flagged.map(\.uid) == [1])
            #expect(log.expunged == [2])
            #expect(log.all.allSatisfy { $0.origin == 11 })
            #expect(log.all.last?.highestModSeq == sessionB.state.highestModSeq)
            observation.cancel()
            _ = try sessionA.store([1], flags: [.flagged], keywords: [], mode: .add, origin: 11)
            #expect(log.all.count == 2, "nothing after cancel")
            registry.release(sessionA)
            registry.release(sessionB)
        }
    }

    @Test func aDeliveryHintedThroughChangedPathIsPublished() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 1)
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            let log = ChangeLog()
            let observation = mailbox.observe(log.record)
            defer { observation.cancel() }
            _ = try Maildir.open(path: path).deliver(Array("Subject: delivered\n\nx\n".utf8))
            registry.changed(path: path)
            #expect(log.wait { $0.appended == [2] })
            #expect(log.all.first?.origin == nil)
            #expect(mailbox.claimRecent() == [2])
            registry.release(mailbox)
        }
    }

    @Test func externalWritesAreSeenThroughInotifyWithoutARefresh() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 1)
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            let first = try registry.open(path: path)
            let second = try registry.open(path: path)
            let logs = [ChangeLog(), ChangeLog()]
            let observations = [first.observe(logs[0].record), second.observe(logs[1].record)]
            defer { observations.forEach { $0.cancel() } }

            try writeExternalMessage(path, name: "1800000000.M1P99.elsewhere")
            for log in logs { #expect(log.wait(timeout: 1) { $0.appended == [2] }) }

            let name = try #require(fileNames(in: path + "/cur").first { $0.hasPrefix("1700000000.M0P1") })
            try FileManager.default.moveItem(atPath: path + "/cur/" + name, toPath: path + "/cur/" + name + "S")
            for log in logs {
                #expect(log.wait(timeout: 1) { $0.flagged.contains { $0.uid == 1 && $0.flags == [.seen] } })
            }
            #expect(first.state.messages.first?.flags == [.seen])

            try FileManager.default.removeItem(atPath: path + "/cur/" + name + "S")
            for log in logs { #expect(log.wait(timeout: 1) { $0.expunged == [1] }) }
            #expect(throws: MailStoreError.self) { try first.readMessage(uid: 1) }
            registry.release(first)
            registry.release(second)
        }
    }

    @Test func ourOwnWritesDoNotCauseARescan() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 3)
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            let rescans = mailbox.rescanCount.load(ordering: .relaxed)
            _ = try mailbox.store([1, 2], flags: [.seen], keywords: ["x"], mode: .add, origin: nil)
            _ = try mailbox.expunge([3], origin: nil)
            let append = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
            try append.write(Array("Subject: a\n\nb\n".utf8))
            _ = try append.commit(origin: nil)
            usleep(100_000)  // longer than the watcher's coalescing
            try mailbox.refresh()
            #expect(mailbox.rescanCount.load(ordering: .relaxed) == rescans)
            registry.release(mailbox)
        }
    }

    @Test func recentUIDsAreClaimedByExactlyOneSession() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            _ = try Maildir.open(path: path)
            let maildir = try Maildir.open(path: path)
            for n in 1...2 { _ = try maildir.deliver(Array("Subject: \(n)\n\nx\n".utf8)) }
            let registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            #expect(mailbox.state.messages.count == 2)
            #expect(mailbox.claimRecent() == [1, 2], "found in new/")
            #expect(mailbox.claimRecent().isEmpty)

            let claims = ChangeLog()  // reused as a thread-safe list
            let group = DispatchGroup()
            for n in 0..<20 {
                let append = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
                try append.write(Array("Subject: \(n)\n\nx\n".utf8))
                _ = try append.commit(origin: nil)
                DispatchQueue.global().async(group: group) {
                    let uids = mailbox.claimRecent()
                    claims.record(MailboxChange(kind: .expunged(Array(uids)), origin: nil, highestModSeq: 0))
                }
            }
            group.wait()
            let rest = mailbox.claimRecent()
            let all = claims.expunged + Array(rest)
            #expect(all.count == 20 && Set(all) == Set(3...22), "each UID once")
            registry.release(mailbox)
        }
    }
}
