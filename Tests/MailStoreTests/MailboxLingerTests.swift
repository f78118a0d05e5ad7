import Foundation
@testable import MailStore
import Testing

/// With `linger`, a mailbox stays open after its last user: the next user gets it loaded.
@Suite struct MailboxLingerTests {
    @Test("a released mailbox is reopened as the same object within the linger, and closed after it")
    func lingerThenClose() async throws {
        try await withTemporaryDirectoryAsync { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 2)
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .milliseconds(100), linger: .milliseconds(200))
            defer { registry.shutdown() }
            let first = try registry.open(path: path)
            registry.release(first)
            let again = try registry.open(path: path)
            #expect(again === first, "reopened within the linger")
            registry.release(again)
            try await Task.sleep(for: .seconds(1))
            let later = try registry.open(path: path)
            #expect(later !== first, "closed after the linger")
            #expect(later.state.messages.count == 2)
            registry.release(later)
        }
    }

    @Test("a lingering folder that is deleted and made again is read afresh")
    func forgetAfterDelete() throws {
        try withTemporaryDirectory { base in
            let root = base + "/Maildir"
            let store = try MailboxStore.open(root: root, defaultFolders: [])
            _ = try store.create("Box")
            let registry = MailboxRegistry(cacheStamp: "v1", pollInterval: .seconds(3600), linger: .seconds(3600))
            defer { registry.shutdown() }
            let box = try registry.open(path: root + "/.Box")
            let append = try box.beginAppend(flags: [], keywords: [], internalDate: nil)
            try append.write(Array("Subject: x\r\n\r\n".utf8))
            _ = try append.commit(origin: nil)
            let validity = box.state.uidValidity
            registry.release(box)
            try store.delete("Box")
            registry.forget(path: root + "/.Box")
            _ = try store.create("Box")
            let fresh = try registry.open(path: root + "/.Box")
            #expect(fresh !== box)
            #expect(fresh.state.messages.isEmpty)
            #expect(fresh.state.uidValidity != validity || fresh.state.nextUID == 1)
            registry.release(fresh)
        }
    }
}
