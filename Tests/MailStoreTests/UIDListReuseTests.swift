import Foundation
@testable import MailStore
import Testing

/// APPEND reuses the uidlist it last read or wrote while the file is unchanged; a change by
/// another program (Dovecot appending a line) is read, so no UID is handed out twice.
@Suite struct UIDListReuseTests {
    @Test func anotherProgramsUIDListLineIsSeenByTheNextAppend() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 1)
            let registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            let mailbox = try registry.open(path: path)
            func append() throws -> UInt32 {
                let append = try mailbox.beginAppend(flags: [], keywords: [], internalDate: nil)
                try append.write(Array("Subject: new\n\nx\n".utf8))
                return try append.commit(origin: nil)
            }
            #expect(try append() == 2)
            #expect(try append() == 3, "the list kept from the last APPEND")
            // Another program takes UID 4 for a file of its own, as Dovecot does: one appended line.
            let uidList = path + "/dovecot-uidlist"
            let handle = try #require(FileHandle(forWritingAtPath: uidList))
            handle.seekToEndOfFile()
            handle.write(Data("4 :1700000099.M9P9Q9.other\n".utf8))
            try handle.close()
            #expect(try append() == 5, "UID 4 is taken: the changed file was read again")
            registry.release(mailbox)
        }
    }
}
