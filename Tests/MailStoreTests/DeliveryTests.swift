import Foundation
import Testing
@testable import MailStore

@Suite("Delivery")
struct DeliveryTests {
    @Test("delivered messages list with exact size, virtual size, and bytes")
    func deliverAndList() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            let lf = Array("Subject: lf\n\nline one\nline two\n".utf8)
            let crlf = Array("Subject: crlf\r\n\r\nbody\r\n".utf8)
            let noFinalNewline = Array("Subject: short\n\nno newline at end".utf8)
            let eightBit: [UInt8] = Array("Subject: 8bit\n\n".utf8) + [0xC3, 0xA9, 0xFF, 0x0D, 0x0A, 0x00, 0x0A]
            for message in [lf, crlf, noFinalNewline, eightBit] { _ = try maildir.deliver(message) }

            let snapshot = try maildir.synchronize()
            #expect(snapshot.messages.map(\.uid) == [1, 2, 3, 4])
            #expect(snapshot.messages.map(\.size) == [lf.count, crlf.count, noFinalNewline.count, eightBit.count])
            // Bare LFs: 4 in lf, 0 in crlf, 2 in noFinalNewline, 3 in eightBit (the CR LF pair is not bare).
            #expect(snapshot.messages.map(\.virtualSize) ==
                    [lf.count + 4, crlf.count, noFinalNewline.count + 2, eightBit.count + 3])
            #expect(try snapshot.messages.map { try maildir.read($0) } == [lf, crlf, noFinalNewline, eightBit])
        }
    }

    @Test("delivery names carry S= and W=, and the file lands in new/ until a mailbox is opened")
    func deliveryFileName() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            let name = try maildir.deliver(Array("a\nb\n".utf8))
            #expect(name.hasSuffix(",S=4,W=6"))
            #expect(fileNames(in: root + "/Maildir/new") == [name])
            #expect(fileNames(in: root + "/Maildir/tmp").isEmpty)

            let message = try #require(try maildir.synchronize().messages.first)
            // Opening the mailbox moves it to cur/ with an empty info part, as Dovecot does.
            #expect(message.directory == .cur)
            #expect(message.fileName == name + ":2,")
            #expect(fileNames(in: root + "/Maildir/new").isEmpty)
            #expect(fileNames(in: root + "/Maildir/cur") == [name + ":2,"])
        }
    }

    @Test("a streamed delivery in many chunks equals the same bytes delivered at once")
    func streamedDelivery() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            // Chunk edges fall between CR and LF, so the virtual size must carry state across chunks.
            var message: [UInt8] = []
            for index in 0..<20_000 { message += Array("line \(index)\(index % 3 == 0 ? "\r\n" : "\n")".utf8) }
            let writer = try maildir.beginDelivery()
            var offset = 0
            var chunkSize = 1
            while offset < message.count {
                let end = min(offset + chunkSize, message.count)
                try writer.write(message[offset..<end])
                offset = end
                chunkSize = chunkSize % 997 + 1
            }
            let name = try writer.commit()
            #expect(throws: MailStoreError.self) { try writer.write([0x41]) }

            let listed = try #require(try maildir.synchronize().messages.first)
            let bareLFs = message.indices.filter { message[$0] == 0x0A && ($0 == 0 || message[$0 - 1] != 0x0D) }.count
            #expect(name.hasSuffix(",S=\(message.count),W=\(message.count + bareLFs)"))
            #expect(listed.size == message.count)
            #expect(listed.virtualSize == message.count + bareLFs)
            #expect(try maildir.read(listed) == message)
        }
    }

    @Test("a writer aborted mid-stream, or dropped, leaves nothing behind",
          arguments: [true, false])
    func abortedWriter(explicitAbort: Bool) throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            do {
                let writer = try maildir.beginDelivery()
                try writer.write(Array("Subject: half\n\nhalf a mess".utf8))
                #expect(fileNames(in: root + "/Maildir/tmp").count == 1)
                if explicitAbort {
                    writer.abort()
                    #expect(throws: MailStoreError.self) { try writer.commit() }
                }
            }
            #expect(fileNames(in: root + "/Maildir/tmp").isEmpty)
            #expect(try maildir.synchronize().messages.isEmpty)
            #expect(fileNames(in: root + "/Maildir/new").isEmpty)
            #expect(fileNames(in: root + "/Maildir/cur").isEmpty)
        }
    }

    struct InjectedFault: Error {}

    @Test("a delivery failing at any step leaves no partial message and no leftover in tmp/",
          arguments: [MaildirDeliveryWriter.Step.written, .synced, .renamed])
    func interruptedDelivery(failingAt step: MaildirDeliveryWriter.Step) throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            let complete = Array("Subject: complete\n\nall of it\n".utf8)
            _ = try maildir.deliver(complete)

            maildir.setDeliveryFaultHook { current in
                if current == step { throw InjectedFault() }
            }
            #expect(throws: InjectedFault.self) {
                try maildir.deliver(Array("Subject: doomed\n\nnever visible\n".utf8))
            }
            let writer = try maildir.beginDelivery()
            try writer.write(Array("Subject: doomed too\n".utf8))
            #expect(throws: InjectedFault.self) { try writer.commit() }

            #expect(fileNames(in: root + "/Maildir/tmp").isEmpty)
            maildir.setDeliveryFaultHook(nil)
            let messages = try maildir.synchronize().messages
            #expect(messages.count == 1)
            #expect(try messages.map { try maildir.read($0) } == [complete])
        }
    }

    @Test("concurrent deliveries from several threads and instances all land with distinct UIDs")
    func concurrentDeliveries() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let instances = try (0..<3).map { _ in try Maildir.open(path: path) }
            let failures = LockedValue<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 24) { index in
                let maildir = instances[index % instances.count]
                do {
                    _ = try maildir.deliver(Array("Subject: \(index)\n\nmessage \(index)\n".utf8))
                    // Interleave listing with delivery: UIDs are assigned under the uidlist lock.
                    if index % 4 == 0 { _ = try maildir.synchronize() }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])

            let snapshot = try Maildir.open(path: path).synchronize()
            #expect(snapshot.messages.count == 24)
            #expect(Set(snapshot.messages.map(\.uid)) == Set(1...24))
            #expect(snapshot.nextUID == 25)
            let subjects = try Set(snapshot.messages.map { String(decoding: try instances[0].read($0), as: UTF8.self) })
            #expect(subjects.count == 24)
        }
    }

    @Test("tmp/ files older than 36 hours are removed on synchronize, fresh ones stay")
    func staleTemporaryFiles() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            try writeFile(root + "/Maildir/tmp/old.M1P1.crashed", "partial")
            try writeFile(root + "/Maildir/tmp/fresh.M2P2.inprogress", "partial")
            let old = Date(timeIntervalSinceNow: -37 * 3600)
            try FileManager.default.setAttributes([.modificationDate: old],
                                                  ofItemAtPath: root + "/Maildir/tmp/old.M1P1.crashed")
            #expect(try maildir.synchronize().messages.isEmpty)
            #expect(fileNames(in: root + "/Maildir/tmp") == ["fresh.M2P2.inprogress"])
        }
    }
}
