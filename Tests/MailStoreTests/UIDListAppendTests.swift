import Foundation
import Testing
@testable import MailStore

@Suite("dovecot-uidlist: appended, not rewritten")
struct UIDListAppendTests {
    @Test("APPEND adds a line to the uidlist; the header's next UID lags and is read as last UID + 1")
    func appendAddsLines() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let registry = MailboxRegistry(cacheStamp: "test", pollInterval: .seconds(3600))
            defer { registry.shutdown() }
            _ = try Maildir.open(path: path)
            let mailbox = try registry.open(path: path)
            for _ in 1...2 {
                let append = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
                try append.write(Array("Subject: x\r\n\r\n".utf8))
                _ = try append.commit(origin: nil)
            }
            let before = try readText(path + "/dovecot-uidlist")
            let inode = try #require(try POSIX.fileStatus(path + "/dovecot-uidlist")).st_ino
            let append = try mailbox.beginAppend(flags: [.seen], keywords: [], internalDate: nil)
            try append.write(Array("Subject: third\r\n\r\n".utf8))
            #expect(try append.commit(origin: nil) == 3)
            let after = try readText(path + "/dovecot-uidlist")
            #expect(after.hasPrefix(before), "the file was rewritten, not appended to")
            #expect(after.split(separator: "\n").last?.hasPrefix("3 :") == true)
            #expect(try #require(try POSIX.fileStatus(path + "/dovecot-uidlist")).st_ino == inode)
            registry.release(mailbox)
            let list = try DovecotUIDList(parsing: after, path: "dovecot-uidlist")
            #expect(list.nextUID == 4)
            #expect(list.records.map(\.uid) == [1, 2, 3])
        }
    }

    @Test("a last line cut off by a crash is dropped, not a corrupt list")
    func tornLastLine() throws {
        let text = "3 V1700000000 N3 G0123456789abcdef0123456789abcdef\n1 :a.host\n2 :b.host\n3 :c.ho"
        // A cut inside the name still parses as a record; a cut before the colon is dropped.
        #expect(try DovecotUIDList(parsing: text, path: "x").records.map(\.uid) == [1, 2, 3])
        let cut = "3 V1700000000 N3 G0123456789abcdef0123456789abcdef\n1 :a.host\n2 :b.host\n3 W12"
        let list = try DovecotUIDList(parsing: cut, path: "x")
        #expect(list.records.map(\.uid) == [1, 2])
        #expect(list.nextUID == 3)
        // A complete file with a broken line is still an error for the admin to see.
        #expect(throws: MailStoreError.self) {
            try DovecotUIDList(parsing: "3 V1 N3 G0123456789abcdef0123456789abcdef\n1 :a\nX :b\n", path: "x")
        }
    }
}
