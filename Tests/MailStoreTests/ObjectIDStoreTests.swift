import Foundation
@testable import MailStore
import Testing

/// RFC 8474 object ids in the store: EMAILID from the message GUID (the uidlist's `G` field or the
/// base name), kept by COPY and MOVE through `G`; MAILBOXID from the uidlist's mailbox GUID; both
/// kept in `loft-index` version 3, and read again from the uidlist for an older index.
@Suite struct ObjectIDStoreTests {
    @Test("the EMAILID comes from the G field, else the base name; a 32-hex GUID is the id itself")
    func emailIDDerivation() throws {
        let base = "1700000000.M1P2Q3.host"
        let plain = EmailID(uniqueName: base)
        #expect(EmailID(uniqueName: base + ",S=10,W=12") == plain, "the sizes are not part of the base name")
        #expect(EmailID(uniqueName: "1700000000.M1P2Q4.host") != plain)
        #expect(plain.description.count == 32 && plain.description.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(EmailID(plain.description) == plain)

        let hex = "00c0ffee00000000000000000000beef"
        let copied = DovecotUIDList.Record(uid: 1, extensions: ["W12", "G" + hex], uniqueName: base + ",S=10")
        #expect(EmailID(copied).description == hex)
        let upper = DovecotUIDList.Record(uid: 1, extensions: ["G" + hex.uppercased()], uniqueName: base)
        #expect(EmailID(upper).description == hex)
        // Dovecot may keep any string as a message GUID: hashed like a base name.
        let other = DovecotUIDList.Record(uid: 1, extensions: ["Gsome.guid@elsewhere"], uniqueName: base)
        #expect(EmailID(other) == EmailID(uniqueName: "some.guid@elsewhere"))
        #expect(EmailID(DovecotUIDList.Record(uid: 1, extensions: ["W12"], uniqueName: base)) == plain)
        #expect(EmailID(DovecotUIDList.Record(uid: 1, extensions: ["G"], uniqueName: base)) == plain, "an empty G is none")

        for text in ["", "M123", String(hex.dropLast()), hex + "0", "+" + hex.dropFirst(), "00c0ffee00000000000000000000beeg"] {
            #expect(EmailID(text) == nil, "\(text)")
        }
    }

    @Test("a G field is read, kept when the uidlist is rewritten, and gives the message its EMAILID")
    func uidListGField() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            let delivered = try maildir.deliver(Array("Subject: a\n\nx\n".utf8))
            let copied = try maildir.deliver(Array("Subject: b\n\ny\n".utf8))
            var snapshot = try maildir.synchronize()
            let guid = "0123456789abcdef0123456789abcdef"
            var list = try #require(try maildir.readUIDList())
            list.records[1].setExtension("G", guid)
            try maildir.writeUIDList(list)

            snapshot = try Maildir.open(path: path, create: false).synchronize()
            #expect(snapshot.messages.map(\.emailID.description) == [EmailID(uniqueName: delivered).description, guid])
            // A rewrite (a vanished file drops out) keeps the field.
            try FileManager.default.removeItem(atPath: path + "/cur/" + snapshot.messages[0].fileName)
            _ = try maildir.synchronize()
            let text = try readText(path + "/dovecot-uidlist")
            #expect(text.contains("\n2 ") && text.contains(" G\(guid) :\(MaildirFileName(copied).uniqueName)\n"), "\(text)")
            #expect(try Maildir.open(path: path, create: false).synchronize().messages.map(\.emailID.description) == [guid])
        }
    }

    @Test("COPY and MOVE keep the EMAILID through G; ids and MAILBOXID hold after reopening and after a rebuild")
    func copyMoveAndReopen() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            let targetPath = path + "/.Archive"
            try makeMaildir(path, count: 3)
            _ = try Maildir.open(path: targetPath)
            var registry = MailboxRegistry(cacheStamp: "v1")
            var source = try registry.open(path: path)
            var target = try registry.open(path: targetPath)
            let ids = source.state.messages.map(\.emailID)
            #expect(Set(ids).count == 3)
            _ = try source.copy([1], to: target, origin: nil)
            _ = try source.move([3], to: target, origin: nil)
            #expect(target.state.messages.map(\.emailID) == [ids[0], ids[2]])
            #expect(source.state.messages.map(\.emailID) == [ids[0], ids[1]])
            // Loft names the copies anew: the id is in their uidlist records.
            let targetList = try #require(try Maildir.open(path: targetPath, create: false).readUIDList())
            #expect(targetList.records.map { $0.extensionValue("G") } == [ids[0].description, ids[2].description])
            let sourceID = source.state.mailboxID
            let targetID = target.state.mailboxID
            #expect(sourceID.count == 32 && targetID.count == 32 && sourceID != targetID)
            let expected = target.state
            registry.release(source)
            registry.release(target)
            registry.shutdown()

            // Reopened (loft-index and the uidlist agree; `MailboxIndexTests` reads the file back field by field).
            registry = MailboxRegistry(cacheStamp: "v1")
            target = try registry.open(path: targetPath)
            #expect(target.state == expected)
            registry.release(target)
            registry.shutdown()

            // Rebuilt from the Maildir and its uidlist.
            try FileManager.default.removeItem(atPath: targetPath + "/loft-index")
            registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            target = try registry.open(path: targetPath)
            defer { registry.release(target) }
            #expect(target.rescanCount.load(ordering: .relaxed) == 1)
            #expect(target.state.messages.map(\.emailID) == [ids[0], ids[2]])
            #expect(target.state.mailboxID == targetID)
            source = try registry.open(path: path)
            defer { registry.release(source) }
            #expect(source.state.mailboxID == sourceID)
        }
    }

    @Test("a version 2 loft-index is read, then rescanned: copies get their EMAILIDs and the mailbox its MAILBOXID")
    func version2Index() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            let targetPath = path + "/.Archive"
            try makeMaildir(path, count: 2)
            _ = try Maildir.open(path: targetPath)
            var registry = MailboxRegistry(cacheStamp: "v1")
            let source = try registry.open(path: path)
            var target = try registry.open(path: targetPath)
            _ = try source.copy([2], to: target, origin: nil)
            let expected = target.state
            registry.release(source)
            registry.release(target)
            registry.shutdown()

            let version3 = try #require(FileManager.default.contents(atPath: targetPath + "/loft-index"))
            let version2 = try Self.version2(of: Array(version3))
            let decoded = try #require(MailboxIndexFile.decode(version2))
            #expect(decoded.stamps == nil && decoded.mailboxGUID.isEmpty)
            #expect(decoded.records.map(\.emailID) != expected.messages.map(\.emailID), "a copy's id is not in its name")
            try Data(version2).write(to: URL(fileURLWithPath: targetPath + "/loft-index"))

            registry = MailboxRegistry(cacheStamp: "v1")
            defer { registry.shutdown() }
            target = try registry.open(path: targetPath)
            defer { registry.release(target) }
            #expect(target.rescanCount.load(ordering: .relaxed) == 1)
            #expect(target.state.messages.map(\.emailID) == expected.messages.map(\.emailID))
            #expect(target.state.mailboxID == expected.mailboxID)
            #expect(target.state.messages.map(\.modSeq) == expected.messages.map(\.modSeq), "what the index knew stays")
        }
    }

    /// `bytes` (a version 3 `loft-index`) as version 2 wrote it: no mailbox GUID, no EMAILIDs.
    static func version2(of bytes: [UInt8]) throws -> [UInt8] {
        var reader = try #require(ByteReader(checked: bytes))
        var writer = ByteWriter(capacity: bytes.count)
        writer.append(bytes: Array(try reader.readBytes(4)))
        #expect(try reader.read(UInt32.self) == 3)
        writer.append(UInt32(2))
        writer.append(bytes: Array(try reader.readBytes(24)))  // uidvalidity ... modseq ceiling
        _ = try reader.readShortString()  // mailbox GUID
        writer.append(bytes: Array(try reader.readBytes(16 + 4 * 57)))  // stamps
        let keywordCount = try reader.read(UInt8.self)
        writer.append(keywordCount)
        for _ in 0..<keywordCount {
            writer.append(try reader.read(UInt8.self))
            writer.appendShortString(try reader.readShortString())
        }
        let records = try reader.read(UInt32.self)
        writer.append(records)
        for _ in 0..<records {
            writer.append(bytes: Array(try reader.readBytes(42)))
            _ = try reader.readBytes(16)  // EMAILID
            writer.appendShortString(try reader.readShortString())
        }
        while !reader.isAtEnd { writer.append(try reader.read(UInt8.self)) }  // tombstones
        writer.appendChecksum()
        return writer.bytes
    }
}
