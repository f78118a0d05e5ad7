import Foundation
@testable import MailStore
import Testing

/// `SharedMailbox.commitAppends` (IMAP MULTIAPPEND, RFC 3502): staged messages become visible together,
/// numbered in order, or not at all.
@Suite struct AppendBatchTests {
    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test func stagedMessagesAreCommittedTogetherInOrderWithOneModSeq() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 1, flags: "")
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            defer { registry.release(mailbox) }
            var appends: [MailboxAppend] = []
            for n in 1...3 {
                let append = try mailbox.beginAppend(flags: n == 2 ? [.seen] : [], keywords: [], internalDate: 1_700_000_000 + Int64(n))
                try append.write(Array("Subject: \(n)\r\n\r\nbody \(n)\r\n".utf8))
                try append.stage()
                appends.append(append)
            }
            #expect(Self.files(path + "/tmp").count == 3, "staged in tmp/")
            #expect(mailbox.state.messages.count == 1, "nothing visible before the commit")
            let uids = try mailbox.commitAppends(appends, origin: nil)
            #expect(uids == [2, 3, 4])
            let state = mailbox.state
            #expect(state.messages.map(\.uid) == [1, 2, 3, 4])
            #expect(state.messages[2].flags == [.seen])
            #expect(state.messages.suffix(3).map(\.internalDate) == [1_700_000_001, 1_700_000_002, 1_700_000_003])
            #expect(Set(state.messages.suffix(3).map(\.modSeq)) == [state.highestModSeq])
            #expect(try mailbox.readMessage(uid: 3) == Array("Subject: 2\r\n\r\nbody 2\r\n".utf8))
            #expect(Self.files(path + "/tmp").isEmpty)
            // A committed message cannot be committed again.
            #expect(throws: MailStoreError.self) { try appends[0].commit(origin: nil) }
        }
    }

    @Test func oneFailedMessageKeepsTheWholeBatchOut() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 0, flags: "")
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            defer { registry.release(mailbox) }
            let appends = try (1...3).map { n in
                let append = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
                try append.write(Array("Subject: \(n)\r\n\r\n".utf8))
                return append
            }
            appends[2].abort()  // as a write failure does
            #expect(throws: MailStoreError.self) { try mailbox.commitAppends(appends, origin: nil) }
            for append in appends { append.abort() }
            #expect(mailbox.state.messages.isEmpty)
            #expect(Self.files(path + "/cur").isEmpty && Self.files(path + "/new").isEmpty)
            #expect(Self.files(path + "/tmp").isEmpty)
            // The UIDs were not used up: the next APPEND gets UID 1.
            let next = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
            try next.write(Array("Subject: next\r\n\r\n".utf8))
            #expect(try next.commit(origin: nil) == 1)
        }
    }
}
