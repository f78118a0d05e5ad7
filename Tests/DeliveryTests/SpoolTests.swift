@testable import Delivery
import Foundation
import Testing

@Suite("Outbound spool: layout, listing and removal")
struct SpoolTests {
    static func envelope(id: String, arrival: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> SpoolEnvelope {
        SpoolEnvelope(
            id: id, sender: "alice@example.org",
            recipients: [RemoteRecipient(address: "bob@example.net", notify: [.success, .failure], orcpt: "rfc822;bob@example.net")],
            authenticatedUser: "alice", arrival: arrival, bodyType: .eightBitMIME, smtputf8: true, ret: .headers,
            envid: "QQ314159")
    }

    /// Adds an entry the way a commit does, from a durable file in `queue/tmp/`.
    static func add(_ envelope: SpoolEnvelope, bytes: String, to spool: Spool) throws {
        let temporary = spool.temporaryDirectory + "/" + envelope.id
        try Data(bytes.utf8).write(to: URL(fileURLWithPath: temporary))
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try spool.add(messageAt: temporary, envelope: envelope, checkpoint: nil)
    }

    @Test("an entry is a message file plus a JSON envelope with every field")
    func layout() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path + "/data")
        #expect(spool.directory == directory.path + "/data/queue")
        try Self.add(Self.envelope(id: "A1"), bytes: "Subject: hi\r\n\r\nbody\r\n", to: spool)

        #expect(directory.list("data/queue/messages") == ["A1"])
        #expect(directory.list("data/queue/envelopes") == ["A1.json"])
        #expect(directory.list("data/queue/tmp").isEmpty)
        let json = try String(contentsOfFile: directory.path + "/data/queue/envelopes/A1.json", encoding: .utf8)
        for field in [#""id" : "A1""#, #""sender" : "alice@example.org""#, #""authenticated_user" : "alice""#,
                      #""arrival" : "2023-11-14T22:13:20Z""#, #""body_type" : "8BITMIME""#, #""smtputf8" : true"#,
                      #""ret" : "HDRS""#, #""envid" : "QQ314159""#, #""orcpt" : "rfc822;bob@example.net""#,
                      #""notify" : ["#] {
            #expect(json.contains(field), "\(field) in \(json)")
        }

        let entries = try spool.entries()
        #expect(entries == [SpoolEntry(envelope: Self.envelope(id: "A1"), messagePath: spool.messagePath(id: "A1"))])
        #expect(try String(contentsOfFile: entries[0].messagePath, encoding: .utf8) == "Subject: hi\r\n\r\nbody\r\n")
    }

    @Test("listing ignores messages without an envelope and stray files; entries come oldest first")
    func listingIgnoresIncompleteEntries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        try Self.add(Self.envelope(id: "LATER", arrival: Date(timeIntervalSince1970: 1_700_000_100)), bytes: "x", to: spool)
        try Self.add(Self.envelope(id: "EARLY", arrival: Date(timeIntervalSince1970: 1_700_000_000)), bytes: "y", to: spool)
        // A crash between the message and its envelope: an orphan message.
        try directory.write("orphan", to: "queue/messages/ORPHAN")
        // A crash while the envelope was written: only a temporary envelope.
        try directory.write("{", to: "queue/tmp/HALF.json")
        // An envelope whose message is gone.
        try directory.write("{}", to: "queue/envelopes/NOMESSAGE.json")
        #expect(try spool.entries().map(\.id) == ["EARLY", "LATER"])
    }

    @Test("the start-up sweep removes queue/tmp files modified before the cutoff, keeps later ones and the queue")
    func temporaryFilesSweep() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path + "/data")
        try Self.add(Self.envelope(id: "Q1"), bytes: "kept\r\n", to: spool)
        let tmp = spool.temporaryDirectory
        // One clock reading for the cutoff and the ages: a slow run must not move a file across it.
        let now = time(nil)
        let cutoff = timespec(tv_sec: now - 60, tv_nsec: 0)
        for (name, age) in [("crashed-message", 3600), ("crashed-envelope.json", 61), ("in-flight", 0)] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: tmp + "/" + name))
            var times = [timeval(tv_sec: now - age, tv_usec: 0), timeval(tv_sec: now - age, tv_usec: 0)]
            #expect(utimes(tmp + "/" + name, &times) == 0)
        }
        #expect(try spool.removeTemporaryFiles(modifiedBefore: cutoff) == 2)
        #expect(directory.list("data/queue/tmp") == ["in-flight"])
        #expect(try spool.entries().map(\.id) == ["Q1"])
        #expect(try spool.removeTemporaryFiles(modifiedBefore: cutoff) == 0)
    }

    @Test("a corrupt envelope is reported by path")
    func corruptEnvelope() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        try directory.write("m", to: "queue/messages/BAD")
        let path = try directory.write("{\"id\": 1}", to: "queue/envelopes/BAD.json")
        let error = try #require(throws: DeliveryError.self) { try spool.entries() }
        guard case .corruptEnvelope(let reported, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(reported == path)
        #expect(error.description.hasPrefix("spool envelope \(path) cannot be read: "))
    }

    @Test("remove deletes envelope and message; unknown ids are fine, unsafe ones refused")
    func remove() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(dataDirectory: directory.path)
        try Self.add(Self.envelope(id: "GONE"), bytes: "x", to: spool)
        try Self.add(Self.envelope(id: "KEPT"), bytes: "y", to: spool)
        try spool.remove(id: "GONE")
        try spool.remove(id: "NEVER")
        #expect(try spool.entries().map(\.id) == ["KEPT"])
        #expect(directory.list("queue/messages") == ["KEPT"])
        #expect(throws: DeliveryError.invalidQueueID("../x")) { try spool.remove(id: "../x") }
    }
}
