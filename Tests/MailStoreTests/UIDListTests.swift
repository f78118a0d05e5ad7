import Foundation
import Testing
@testable import MailStore

@Suite("dovecot-uidlist")
struct UIDListTests {
    @Test("UIDs survive a restart, new messages get higher UIDs, deleted UIDs are never reused")
    func uidsAreStable() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            var maildir = try Maildir.open(path: path)
            for index in 1...3 { _ = try maildir.deliver(Array("Subject: \(index)\n\n".utf8)) }
            let first = try maildir.synchronize()
            #expect(first.messages.map(\.uid) == [1, 2, 3])
            #expect(first.nextUID == 4)

            // Restart: a fresh instance reads the same UIDs and UIDVALIDITY from disk.
            maildir = try Maildir.open(path: path, create: false)
            let reopened = try maildir.synchronize()
            #expect(reopened == first)

            // Delete the highest UID, restart, deliver: the new message must not get UID 3 again.
            try maildir.delete([try #require(reopened.messages.last)])
            maildir = try Maildir.open(path: path, create: false)
            #expect(try maildir.synchronize().messages.map(\.uid) == [1, 2])
            _ = try maildir.deliver(Array("Subject: 4\n\n".utf8))
            maildir = try Maildir.open(path: path, create: false)
            let after = try maildir.synchronize()
            #expect(after.messages.map(\.uid) == [1, 2, 4])
            #expect(after.uidValidity == first.uidValidity)
            #expect(after.nextUID == 5)
        }
    }

    @Test("the file we write is Dovecot's version 3 format")
    func writtenFormat() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            let name = try maildir.deliver(Array("x\n".utf8))
            let snapshot = try maildir.synchronize()
            let lines = try readText(root + "/Maildir/dovecot-uidlist").split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines[0] == "3 V\(snapshot.uidValidity) N2 G\(snapshot.mailboxGUID)")
            #expect(snapshot.mailboxGUID.count == 32 && snapshot.mailboxGUID.allSatisfy(\.isHexDigit))
            // UIDVALIDITY is the creation time.
            #expect(abs(Int(snapshot.uidValidity) - Int(Date().timeIntervalSince1970)) < 600)
            #expect(lines[1] == "1 :\(name)")
            #expect(!FileManager.default.fileExists(atPath: root + "/Maildir/dovecot-uidlist.lock"))
            #expect(!FileManager.default.fileExists(atPath: root + "/Maildir/dovecot-uidlist.tmp"))
        }
    }

    /// A Maildir as Dovecot leaves it: version 3 header, extension fields (`W`, `G`, `P`), a gap in UIDs
    /// from expunges, a file name without `,W=` (the virtual size is only in the uidlist), flags in `cur/`.
    @Test("a Dovecot-written uidlist is read: UIDs, UIDVALIDITY, sizes and extension fields are kept")
    func dovecotFixture() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            _ = try Maildir.open(path: path)
            let uidlist = """
            3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
            25017 :1275660300.M101P4242.mx1,S=22,W=25
            25019 W14 G6d2c1c0b8a9e314fb41100008c4a11c1 :1275660400.M202P4243.mx1
            25021 P1275660500.pop3uidl :1275660500.M303P4244.mx1,S=8,W=8

            """
            try writeFile(path + "/dovecot-uidlist", uidlist)
            try writeFile(path + "/cur/1275660300.M101P4242.mx1,S=22,W=25:2,RS", "Subject: one\n\nfirst\r\n\n")
            try writeFile(path + "/cur/1275660400.M202P4243.mx1:2,", "Subject: x\n\n")
            try writeFile(path + "/new/1275660500.M303P4244.mx1,S=8,W=8", "abc\r\ndef")
            try writeFile(path + "/new/1275660600.M404P4245.mx1", "new\n")

            let snapshot = try Maildir.open(path: path, create: false).synchronize()
            #expect(snapshot.uidValidity == 1275660208)
            #expect(snapshot.mailboxGUID == "3085f01b7f11094c501100008c4a11c1")
            #expect(snapshot.messages.map(\.uid) == [25017, 25019, 25021, 25022])
            #expect(snapshot.nextUID == 25023)
            #expect(snapshot.messages.map(\.size) == [22, 12, 8, 4])
            #expect(snapshot.messages.map(\.virtualSize) == [25, 14, 8, 5])
            #expect(snapshot.messages[0].flags == [.replied, .seen])
            #expect(snapshot.messages[1].flags.isEmpty)

            // Rewritten in the same format, keeping the extension fields of the records it did not change.
            let rewritten = try readText(path + "/dovecot-uidlist")
            #expect(rewritten == """
            3 V1275660208 N25023 G3085f01b7f11094c501100008c4a11c1
            25017 :1275660300.M101P4242.mx1,S=22,W=25
            25019 W14 G6d2c1c0b8a9e314fb41100008c4a11c1 :1275660400.M202P4243.mx1
            25021 P1275660500.pop3uidl :1275660500.M303P4244.mx1,S=8,W=8
            25022 W5 :1275660600.M404P4245.mx1

            """)
        }
    }

    @Test("a Courier-style version 1 uidlist is read and upgraded to version 3")
    func versionOne() throws {
        let list = try DovecotUIDList(parsing: "1 1100000000 8\n3 1100000001.M1P1.host\n7 1100000002.M2P2.host\n",
                                      path: "dovecot-uidlist")
        #expect(list.uidValidity == 1100000000)
        #expect(list.nextUID == 8)
        #expect(list.records.map(\.uid) == [3, 7])
        #expect(list.records.map(\.uniqueName) == ["1100000001.M1P1.host", "1100000002.M2P2.host"])
        #expect(list.serialized().hasPrefix("3 V1100000000 N8 G\n3 :1100000001.M1P1.host\n"))
    }

    @Test("a corrupt uidlist is reported with its path and line, and left alone",
          arguments: [
            ("9 V1 N1\n", 1),
            ("3 V1275660208 G3085f01b7f11094c501100008c4a11c1\n", 1),
            ("3 V1 N9\n5 :a\n4 :b\n", 3),
            ("3 V1 N9\nx :a\n", 2),
            ("3 V1 N9\n5 W1 a\n", 2),
          ])
    func corruptUIDList(text: String, line: Int) throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            try writeFile(path + "/dovecot-uidlist", text)
            let error = try #require(throws: MailStoreError.self) { try maildir.synchronize() }
            guard case let .corruptUIDList(errorPath, errorLine, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(errorPath == path + "/dovecot-uidlist")
            #expect(errorLine == line)
            #expect("\(error)".hasPrefix("\(path)/dovecot-uidlist line \(line) is corrupt: "))
            #expect(try readText(path + "/dovecot-uidlist") == text)
        }
    }

    @Test("a stale dotlock left by a crashed process is overridden")
    func staleLock() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            _ = try maildir.deliver(Array("x\n".utf8))
            try writeFile(path + "/dovecot-uidlist.lock", "99999\n")
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -300)],
                                                  ofItemAtPath: path + "/dovecot-uidlist.lock")
            #expect(try maildir.synchronize().messages.count == 1)
            #expect(!FileManager.default.fileExists(atPath: path + "/dovecot-uidlist.lock"))
        }
    }

    @Test("a fresh dotlock held by another process makes synchronize wait for it")
    func heldLockWaits() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            try writeFile(path + "/dovecot-uidlist.lock", "99999\n")
            let released = LockedValue(false)
            let releaser = Thread {
                usleep(200_000)
                released.withLock { $0 = true }
                try? FileManager.default.removeItem(atPath: path + "/dovecot-uidlist.lock")
            }
            releaser.start()
            _ = try maildir.synchronize()
            #expect(released.withLock { $0 })
        }
    }

    @Test("a uidlist with CRLF line endings reads as the same records")
    func crlfLines() throws {
        let list = try DovecotUIDList(parsing: "3 V1100000000 N8 G\r\n3 :1100000001.M1P1.host\r\n7 :1100000002.M2P2.host\r\n",
                                      path: "dovecot-uidlist")
        #expect(list.records.map(\.uid) == [3, 7])
        #expect(list.records.map(\.uniqueName) == ["1100000001.M1P1.host", "1100000002.M2P2.host"])
    }
}
