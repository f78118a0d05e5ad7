import Foundation
import Testing
@testable import MailStore

@Suite("Reading, deleting and flags")
struct MessageAccessTests {
    @Test("delete removes the files and the uidlist entries; deleting a message already gone is fine")
    func deleteMessages() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            for index in 1...4 { _ = try maildir.deliver(Array("Subject: \(index)\n\n".utf8)) }
            let messages = try maildir.synchronize().messages

            try maildir.delete([messages[0], messages[2]])
            #expect(try maildir.synchronize().messages.map(\.uid) == [2, 4])
            #expect(fileNames(in: path + "/cur") == [messages[1].fileName, messages[3].fileName].sorted())
            let uidlist = try readText(path + "/dovecot-uidlist")
            #expect(!uidlist.contains(messages[0].uniqueName) && !uidlist.contains(messages[2].uniqueName))
            #expect(uidlist.hasPrefix("3 V") && uidlist.contains(" N5 "))

            // Another session already expunged message 2; deleting it again (with 4) must still succeed.
            try FileManager.default.removeItem(atPath: path + "/" + messages[1].relativePath)
            try maildir.delete([messages[1], messages[3]])
            #expect(try maildir.synchronize().messages.isEmpty)
            #expect(fileNames(in: path + "/cur").isEmpty)
        }
    }

    @Test("delete that cannot rewrite the uidlist throws and leaves every message in place")
    func deleteWithFailingUIDListWrite() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            for index in 1...2 { _ = try maildir.deliver(Array("Subject: \(index)\n\n".utf8)) }
            let messages = try maildir.synchronize().messages
            // A directory where the uidlist's temporary file goes makes its rewrite fail (even for root).
            try FileManager.default.createDirectory(atPath: path + "/dovecot-uidlist.tmp", withIntermediateDirectories: false)

            #expect(throws: MailStoreError.self) { try maildir.delete([messages[0]]) }
            // The client is told "not removed": that must be true.
            #expect(fileNames(in: path + "/cur") == messages.map(\.fileName).sorted())
            try FileManager.default.removeItem(atPath: path + "/dovecot-uidlist.tmp")
            #expect(try maildir.synchronize().messages == messages)
        }
    }

    @Test("a message renamed by another client (flags changed) is still read and deleted by its old descriptor")
    func renamedByAnotherClient() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            let bytes = Array("Subject: renamed\n\nbody\n".utf8)
            _ = try maildir.deliver(bytes)
            let message = try #require(try maildir.synchronize().messages.first)

            let renamed = "\(path)/cur/\(message.uniqueName):2,FS"
            try FileManager.default.moveItem(atPath: "\(path)/\(message.relativePath)", toPath: renamed)
            #expect(try maildir.read(message) == bytes)
            #expect(try maildir.synchronize().messages.first?.flags == [.flagged, .seen])
            #expect(try maildir.synchronize().messages.first?.uid == message.uid)

            try maildir.delete([message])
            #expect(fileNames(in: path + "/cur").isEmpty)
            #expect(try maildir.synchronize().messages.isEmpty)
        }
    }

    @Test("reading a message that is gone throws messageVanished naming it")
    func vanished() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            _ = try maildir.deliver(Array("x\n".utf8))
            let message = try #require(try maildir.synchronize().messages.first)
            try FileManager.default.removeItem(atPath: path + "/" + message.relativePath)
            #expect(throws: MailStoreError.messageVanished(uid: 1, uniqueName: message.uniqueName, maildir: path)) {
                try maildir.read(message)
            }
            #expect("\(MailStoreError.messageVanished(uid: 1, uniqueName: "u", maildir: path))"
                    == "message UID 1 (u) vanished from Maildir \(path)")
        }
    }

    @Test("setFlags renames into cur/ with letters in ASCII order and keeps keyword letters")
    func setFlags() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            let bytes = Array("Subject: flags\n\n".utf8)
            _ = try maildir.deliver(bytes)
            var message = try #require(try maildir.synchronize().messages.first)
            // A keyword letter set by Dovecot must survive our flag change.
            let withKeyword = "\(path)/cur/\(message.uniqueName):2,a"
            try FileManager.default.moveItem(atPath: "\(path)/\(message.relativePath)", toPath: withKeyword)

            message = try maildir.setFlags([.trashed, .seen, .draft, .replied], of: message)
            #expect(message.fileName == message.uniqueName + ":2,DRSTa")
            #expect(fileNames(in: path + "/cur") == [message.fileName])
            let listed = try #require(try maildir.synchronize().messages.first)
            #expect(listed.flags == [.trashed, .seen, .draft, .replied])
            #expect(listed.uid == message.uid)
            #expect(try maildir.read(listed) == bytes)

            try FileManager.default.removeItem(atPath: path + "/" + listed.relativePath)
            #expect(throws: MailStoreError.self) { try maildir.setFlags([], of: listed) }
        }
    }

    @Test("file names: info part, sizes and flag letters are parsed and formatted")
    func fileNameParsing() {
        let parsed = MaildirFileName("1700000000.M5P6Q7.host,S=120,W=124:2,FRSab")
        #expect(parsed.uniqueName == "1700000000.M5P6Q7.host,S=120,W=124")
        #expect(parsed.size == 120)
        #expect(parsed.virtualSize == 124)
        #expect(parsed.flags == [.flagged, .replied, .seen])
        #expect(parsed.keywordLetters == ["a", "b"])

        let plain = MaildirFileName("1700000000.M5P6.host")
        #expect(plain.uniqueName == "1700000000.M5P6.host")
        #expect(plain.size == nil && plain.virtualSize == nil && plain.flags.isEmpty)

        #expect(MaildirFileName.format(uniqueName: "u", flags: Set(MaildirFlag.allCases)) == "u:2,DFPRST")
        #expect(MaildirFileName.format(uniqueName: "u", flags: []) == "u:2,")
    }

    @Test("open without create refuses a directory that is not a Maildir; create makes it 0700")
    func openAndCreate() throws {
        try withTemporaryDirectory { root in
            #expect(throws: MailStoreError.notAMaildir(path: root + "/missing")) {
                try Maildir.open(path: root + "/missing", create: false)
            }
            #expect(throws: MailStoreError.notAMaildir(path: "")) { try Maildir.open(path: "") }
            _ = try Maildir.open(path: root + "/a/b/Maildir/")
            for directory in ["a", "a/b", "a/b/Maildir", "a/b/Maildir/tmp", "a/b/Maildir/new", "a/b/Maildir/cur"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + directory)
                #expect((attributes[.posixPermissions] as? Int) == 0o700, "\(directory)")
            }
        }
    }
}
