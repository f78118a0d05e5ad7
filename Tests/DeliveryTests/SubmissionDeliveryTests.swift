@testable import Delivery
import Foundation
import MailStore
import Synchronization
import Testing

@Suite("Submission delivery: exactly once everywhere, or nowhere")
struct SubmissionDeliveryTests {
    /// A message with CRLF and a bare LF (so size and virtual size differ) and a non-ASCII byte.
    static let message = Array("From: alice@example.org\r\nTo: bob@example.org\r\nSubject: caf\u{E9}\r\n\r\nline one\r\nbare lf\nend\r\n".utf8)

    struct Fixture {
        let directory: TemporaryDirectory
        let delivery: SubmissionDelivery
        var bob: String { directory.path + "/data/mail/example.org/bob/Maildir" }
        var carol: String { directory.path + "/home/carol/Maildir" }

        init(faultHook: CommitFaultHook? = nil) throws {
            directory = try TemporaryDirectory()
            let data = directory.path + "/data"
            let spool = try Spool(dataDirectory: data)
            delivery = try SubmissionDelivery(
                dataDirectory: data, locator: MaildirLocator(dataDirectory: data, defaultDomain: "example.org"),
                spool: spool, faultHook: faultHook)
        }

        func envelope() throws -> DeliveryEnvelope {
            DeliveryEnvelope(
                sender: "alice@example.org",
                localRecipients: [
                    try delivery.localRecipient("bob@example.org", user: "bob"),
                    try delivery.localRecipient("carol@example.org", user: "carol", home: directory.path + "/home/carol"),
                ],
                remoteRecipients: [RemoteRecipient(address: "dave@example.net", notify: [.failure])],
                authenticatedUser: "alice", bodyType: .eightBitMIME)
        }

        /// Every message in a Maildir, as read through MailStore.
        func messages(in maildir: String) throws -> [[UInt8]] {
            let box = try Maildir.open(path: maildir, create: true)
            return try box.synchronize().messages.map { try box.read($0) }
        }

        /// Names of leftover files in the places a delivery writes.
        func leftovers() -> [String] {
            ["data/queue/tmp", "data/queue/messages", "data/queue/envelopes",
             "data/mail/example.org/bob/Maildir/tmp", "data/mail/example.org/bob/Maildir/new",
             "data/mail/example.org/bob/Maildir/cur", "home/carol/Maildir/tmp", "home/carol/Maildir/new",
             "home/carol/Maildir/cur"].flatMap { place in directory.list(place).map { place + "/" + $0 } }
        }
    }

    @Test("two local recipients and one remote: once in each Maildir and once in the spool, byte-exact")
    func fanOut() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let transaction = try fixture.delivery.begin(try fixture.envelope())
        // Streamed in small and large pieces.
        try transaction.write(Self.message.prefix(10))
        try transaction.write(Self.message.dropFirst(10))
        let id = try transaction.commit()
        #expect(id == transaction.queueID)

        #expect(try fixture.messages(in: fixture.bob) == [Self.message])
        #expect(try fixture.messages(in: fixture.carol) == [Self.message])
        let snapshot = try Maildir.open(path: fixture.bob).synchronize()
        #expect(snapshot.messages.first?.size == Self.message.count)
        #expect(snapshot.messages.first?.virtualSize == Self.message.count + 1)

        let entries = try fixture.delivery.spool.entries()
        #expect(entries.map(\.id) == [id])
        #expect(entries.first?.envelope.recipients == [RemoteRecipient(address: "dave@example.net", notify: [.failure])])
        #expect(entries.first?.envelope.sender == "alice@example.org")
        #expect(entries.first?.envelope.bodyType == .eightBitMIME)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: try #require(entries.first).messagePath))) == Self.message)
        #expect(fixture.directory.list("data/queue/tmp").isEmpty, "no temporary file is left")
    }

    @Test("a Maildir removed after a delivery is made again for the next one")
    func maildirRemovedBetweenDeliveries() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let bobOnly = DeliveryEnvelope(sender: "alice@example.org",
                                       localRecipients: [try fixture.delivery.localRecipient("bob@example.org", user: "bob")])
        for _ in 0..<2 {
            let transaction = try fixture.delivery.begin(bobOnly)
            try transaction.write(Self.message)
            _ = try transaction.commit()
        }
        #expect(try fixture.messages(in: fixture.bob).count == 2)
        try FileManager.default.removeItem(atPath: fixture.bob)
        let transaction = try fixture.delivery.begin(bobOnly)
        try transaction.write(Self.message)
        _ = try transaction.commit()
        #expect(try fixture.messages(in: fixture.bob) == [Self.message])
    }

    @Test("new/ names carry the Maildir size fields")
    func fileNames() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let transaction = try fixture.delivery.begin(try fixture.envelope())
        try transaction.write(Self.message)
        _ = try transaction.commit()
        let names = fixture.directory.list("data/mail/example.org/bob/Maildir/new")
        #expect(names.count == 1)
        #expect(names.first?.hasSuffix(",S=\(Self.message.count),W=\(Self.message.count + 1)") == true)
        #expect(names == fixture.directory.list("home/carol/Maildir/new"), "one unique name for one message")
    }

    @Test("only local or only remote recipients; the same Maildir twice gets one copy")
    func partialFanOut() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let bob = try fixture.delivery.localRecipient("bob@example.org", user: "bob")
        let local = try fixture.delivery.begin(DeliveryEnvelope(sender: "", localRecipients: [bob, bob]))
        try local.write(Self.message)
        _ = try local.commit()
        #expect(try fixture.messages(in: fixture.bob).count == 1)
        #expect(try fixture.delivery.spool.entries().isEmpty)

        let remote = try fixture.delivery.begin(DeliveryEnvelope(
            sender: "alice@example.org", remoteRecipients: [RemoteRecipient(address: "x@example.net")]))
        try remote.write(Self.message)
        let id = try remote.commit()
        #expect(try fixture.delivery.spool.entries().map(\.id) == [id])
        #expect(try fixture.messages(in: fixture.bob).count == 1)

        #expect(throws: DeliveryError.noRecipients) { try fixture.delivery.begin(DeliveryEnvelope(sender: "")) }
    }

    static let failurePoints: [CommitStep] = [
        .synced, .linkedIntoMaildir(index: 0), .renamedIntoNew(index: 0), .linkedIntoMaildir(index: 1),
        .renamedIntoNew(index: 1), .maildirsSynced, .spoolMessageLinked, .spoolEnvelopeWritten, .spooled,
    ]

    struct InjectedFault: Error {}

    @Test("a failure at any commit step leaves nothing visible anywhere and no temporary file", arguments: failurePoints)
    func failureLeavesNothing(step: CommitStep) throws {
        let fixture = try Fixture(faultHook: { if $0 == step { throw InjectedFault() } })
        defer { fixture.directory.remove() }
        let transaction = try fixture.delivery.begin(try fixture.envelope())
        try transaction.write(Self.message)
        #expect(throws: InjectedFault.self) { try transaction.commit() }

        #expect(fixture.leftovers() == [])
        #expect(try fixture.messages(in: fixture.bob).isEmpty)
        #expect(try fixture.messages(in: fixture.carol).isEmpty)
        #expect(try fixture.delivery.spool.entries().isEmpty)
        #expect(throws: DeliveryError.transactionFinished(queueID: transaction.queueID)) { try transaction.commit() }
    }

    @Test("a failed commit takes the message back even after a session moved it from new/ to cur/")
    func undoFindsMessageMovedToCur() throws {
        // Between placing the message and the failure, a POP3/IMAP session synchronizes bob's Maildir:
        // new/<name> becomes cur/<name>:2, (and then gets a flag). The undo must still remove it.
        let bob = Mutex<String?>(nil)
        let fixture = try Fixture(faultHook: { step in
            guard step == .maildirsSynced, let maildir = bob.withLock({ $0 }) else { return }
            let box = try Maildir.open(path: maildir)
            let moved = try #require(try box.synchronize().messages.first)
            _ = try box.setFlags([.seen], of: moved)
            throw InjectedFault()
        })
        defer { fixture.directory.remove() }
        bob.withLock { $0 = fixture.bob }
        let transaction = try fixture.delivery.begin(try fixture.envelope())
        try transaction.write(Self.message)
        #expect(throws: InjectedFault.self) { try transaction.commit() }

        #expect(fixture.leftovers() == [], "the message stays visible after the 451")
        #expect(try fixture.messages(in: fixture.bob).isEmpty)
        #expect(try fixture.messages(in: fixture.carol).isEmpty)
    }

    @Test("abort, and dropping an uncommitted transaction, leave nothing")
    func abortLeavesNothing() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let transaction = try fixture.delivery.begin(try fixture.envelope())
        try transaction.write(Self.message)
        #expect(fixture.directory.list("data/queue/tmp") == [transaction.queueID])
        transaction.abort()
        #expect(throws: DeliveryError.transactionFinished(queueID: transaction.queueID)) { try transaction.write([1]) }
        do {
            let dropped = try fixture.delivery.begin(try fixture.envelope())
            try dropped.write(Self.message)
        }
        #expect(fixture.leftovers() == [])
        #expect(try fixture.delivery.spool.entries().isEmpty)
    }

    @Test("a large message streams through and lands byte-exact")
    func largeMessage() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let line = Array("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n".utf8)
        let transaction = try fixture.delivery.begin(try fixture.envelope())
        var expected: [UInt8] = []
        for _ in 0..<20_000 {
            try transaction.write(line)
            expected += line
        }
        _ = try transaction.commit()
        #expect(try fixture.messages(in: fixture.carol) == [expected])
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: try #require(fixture.delivery.spool.entries().first).messagePath))) == expected)
    }

    @Test("concurrent transactions all land, each exactly once")
    func concurrent() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let count = 12
        let ids = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
        let envelope = try fixture.envelope()
        DispatchQueue.concurrentPerform(iterations: count) { index in
            do {
                let transaction = try fixture.delivery.begin(envelope)
                try transaction.write(Array("Subject: \(index)\r\n\r\nbody \(index)\r\n".utf8))
                let id = try transaction.commit()
                ids.withLock { $0.append(id) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(Set(ids.withLock { $0 }).count == count)
        let expected = Set((0..<count).map { Array("Subject: \($0)\r\n\r\nbody \($0)\r\n".utf8) })
        #expect(Set(try fixture.messages(in: fixture.bob)) == expected)
        #expect(try fixture.messages(in: fixture.bob).count == count)
        #expect(Set(try fixture.messages(in: fixture.carol)) == expected)
        #expect(Set(try fixture.delivery.spool.entries().map(\.id)) == Set(ids.withLock { $0 }))
        #expect(fixture.directory.list("data/queue/tmp").isEmpty)
    }
}
