import Foundation
import Testing
@testable import MailStore

@Suite("Reading a message in pieces")
struct MessageFileReaderTests {
    @Test("pieces add up to the stored bytes; the end reads as empty")
    func piecesAddUp() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            let body = Array("Subject: big\n\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000)
            _ = try maildir.deliver(body)
            let message = try #require(try maildir.synchronize().messages.first)
            let reader = try maildir.openMessage(message)
            var read: [UInt8] = []
            var sizes: [Int] = []
            while true {
                let piece = try reader.read(upTo: 32 * 1024)
                if piece.isEmpty { break }
                sizes.append(piece.count)
                read += piece
            }
            #expect(read == body)
            #expect(sizes == [32768, 32768, 32768, body.count - 3 * 32768])
        }
    }

    @Test("a message moved from new/ to cur/ after the listing is still opened, and stays readable once opened")
    func movedAndDeleted() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            _ = try maildir.deliver(Array("Subject: moved\n\nbody\n".utf8))
            let listed = try #require(try maildir.synchronize().messages.first)
            // Another session flags it: the file is renamed.
            _ = try maildir.setFlags([.seen], of: listed)
            let reader = try maildir.openMessage(listed)
            // And then deletes it: the open file is still read whole.
            try maildir.delete([listed])
            #expect(try reader.read(upTo: 1024) == Array("Subject: moved\n\nbody\n".utf8))
            #expect(try reader.read(upTo: 1024).isEmpty)
        }
    }
}
