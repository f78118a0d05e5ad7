@testable import Delivery
import Foundation
import Glibc
import MailStore
import NIOPosix
import Synchronization
import Testing

/// Issue 11: concurrent commits share fsync rounds, and each still returns only after the rounds that made
/// its own message durable, in the order file data → link/rename → directory.
@Suite("Group commit: shared fsync rounds, each commit durable before it returns")
struct GroupCommitTests {
    typealias Fixture = SubmissionDeliveryTests.Fixture
    struct InjectedFault: Error {}
    struct TimedOut: Error {}

    /// What the commit hooks saw, in order, with the thread that saw it.
    enum Event: Sendable {
        case began(queueID: String, temporaryPath: String, thread: pthread_t)
        case step(CommitStep, thread: pthread_t)
        case returned(queueID: String, thread: pthread_t)
    }

    static func body(_ index: Int) -> [UInt8] { Array("Subject: \(index)\r\n\r\nbody \(index)\r\n".utf8) }

    /// bob and carol, both local (the Maildir path of the group commit; no spool).
    static func localEnvelope(_ fixture: Fixture) throws -> DeliveryEnvelope {
        DeliveryEnvelope(sender: "alice@example.org", localRecipients: [
            try fixture.delivery.localRecipient("bob@example.org", user: "bob"),
            try fixture.delivery.localRecipient("carol@example.org", user: "carol", home: fixture.directory.path + "/home/carol"),
        ])
    }

    /// Polls `condition` every millisecond for up to 20 s.
    static func waitUntil(_ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        while !condition() {
            guard Date() < deadline else { throw TimedOut() }
            usleep(1000)
        }
    }

    @Test("32 transactions from a disk pool: all durable in both Maildirs, each commit returned after its own rounds",
          arguments: [2, 8])
    func concurrentCommitsOnPool(threads: Int) throws {
        let events = Mutex<[Event]>([])
        let fixture = try Fixture(faultHook: { step in events.withLock { $0.append(.step(step, thread: pthread_self())) } })
        defer { fixture.directory.remove() }
        let envelope = try Self.localEnvelope(fixture)
        let count = 32
        let failures = Mutex<[String]>([])
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        let done = DispatchGroup()
        // All 32 queued at once: every pool thread ends up waiting in a round, as on a busy server.
        for index in 0..<count {
            done.enter()
            pool.submit { _ in
                defer { done.leave() }
                do {
                    let transaction = try fixture.delivery.begin(envelope)
                    events.withLock {
                        $0.append(.began(queueID: transaction.queueID, temporaryPath: transaction.temporaryPath,
                                         thread: pthread_self()))
                    }
                    try transaction.write(Self.body(index))
                    let id = try transaction.commit()
                    events.withLock { $0.append(.returned(queueID: id, thread: pthread_self())) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(done.wait(timeout: .now() + 60) == .success, "every commit returns (no deadlock with \(threads) threads)")
        try pool.syncShutdownGracefully()

        #expect(failures.withLock { $0 } == [])
        let expected = Set((0..<count).map(Self.body))
        #expect(try fixture.messages(in: fixture.bob).count == count)
        #expect(Set(try fixture.messages(in: fixture.bob)) == expected)
        #expect(Set(try fixture.messages(in: fixture.carol)) == expected)
        #expect(fixture.leftovers().filter { $0.contains("tmp/") } == [], "no temporary file left")

        // For each transaction, on its own thread: its file was synced (by whichever thread led that round)
        // before it was linked anywhere, and both new/ directories were fsynced after its last rename and
        // before its commit returned.
        let log = events.withLock { $0 }
        var checked = 0
        for (start, event) in log.enumerated() {
            guard case .began(let queueID, let temporaryPath, let thread) = event else { continue }
            let end = try #require(log.indices.first { index in
                if case .returned(queueID, thread) = log[index] { return true } else { return false }
            })
            let own = (start..<end).filter { if case .step(_, thread) = log[$0] { true } else { false } }
            let firstLink = try #require(own.first { if case .step(.linkedIntoMaildir, _) = log[$0] { true } else { false } })
            let lastRename = try #require(own.last { if case .step(.renamedIntoNew, _) = log[$0] { true } else { false } })
            let fileSynced = (start..<firstLink).contains { index in
                if case .step(.roundSyncedFile(temporaryPath), _) = log[index] { true } else { false }
            }
            #expect(fileSynced, "\(queueID): file data synced before the link")
            for maildir in ["/bob/Maildir/new", "/carol/Maildir/new"] {
                let directorySynced = (lastRename..<end).contains { index in
                    if case .step(.roundSyncedDirectory(let path), _) = log[index] { path.hasSuffix(maildir) } else { false }
                }
                #expect(directorySynced, "\(queueID): \(maildir) fsynced after the rename, before the return")
            }
            checked += 1
        }
        #expect(checked == count)
    }

    @Test("a failed fsync of a shared new/ fails every transaction of that round, and each is taken back")
    func sharedDirectoryFailure() throws {
        let count = 6
        let gate = Mutex(Gate())
        let groupSync = Mutex<GroupSync?>(nil)
        let blockerDirectory = Mutex("")
        let fixture = try Fixture(faultHook: { step in
            switch step {
            case .synced:
                // All six have their file durable before any goes on, so no file sync mixes into the next rounds.
                gate.withLock { $0.synced += 1 }
                try Self.waitUntil { gate.withLock { $0.synced == count } }
            case .renamedIntoNew(index: 1):
                // Hold a round (the blocker's) so that the six directory requests queue up for the same next one.
                if gate.withLock({ state in defer { state.blockerClaimed = true }; return !state.blockerClaimed }) {
                    guard let sync = groupSync.withLock({ $0 }) else { throw TimedOut() }
                    let directory = blockerDirectory.withLock { $0 }
                    Thread.detachNewThread { try? sync.sync(directories: [directory]) }
                }
                try Self.waitUntil { gate.withLock { $0.blockerRunning } }
            case .roundSyncedDirectory(let path) where path == blockerDirectory.withLock({ $0 }):
                gate.withLock { $0.blockerRunning = true }
                try Self.waitUntil { gate.withLock { $0.released } }
            case .roundSyncedDirectory(let path) where path.hasSuffix("/bob/Maildir/new"):
                gate.withLock { $0.bobSyncs += 1 }
                throw InjectedFault()
            default:
                break
            }
        })
        defer { fixture.directory.remove() }
        groupSync.withLock { $0 = fixture.delivery.groupSync }
        blockerDirectory.withLock { $0 = fixture.directory.path }
        let envelope = try Self.localEnvelope(fixture)
        let outcomes = Mutex<[String]>([])
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let transaction = try fixture.delivery.begin(envelope)
                    try transaction.write(Self.body(index))
                    _ = try transaction.commit()
                    outcomes.withLock { $0.append("committed") }
                } catch is InjectedFault {
                    outcomes.withLock { $0.append("failed") }
                } catch {
                    outcomes.withLock { $0.append("\(error)") }
                }
            }
        }
        try Self.waitUntil { fixture.delivery.groupSync.queuedCount == count }
        gate.withLock { $0.released = true }
        #expect(done.wait(timeout: .now() + 60) == .success)

        #expect(outcomes.withLock { $0 } == Array(repeating: "failed", count: count))
        #expect(gate.withLock { $0.bobSyncs } == 1, "one fsync of bob's new/ served (and failed) all six")
        #expect(fixture.leftovers() == [])
        #expect(try fixture.messages(in: fixture.bob).isEmpty)
        #expect(try fixture.messages(in: fixture.carol).isEmpty)
    }

    struct Gate {
        var synced = 0
        var blockerClaimed = false
        var blockerRunning = false
        var released = false
        var bobSyncs = 0
    }

    @Test("a failed sync of one message file fails that commit only; the next one lands")
    func fileFailureIsPrivate() throws {
        let victim = Mutex<String?>(nil)
        let fixture = try Fixture(faultHook: { step in
            if case .roundSyncedFile(let path) = step, path == victim.withLock({ $0 }) { throw InjectedFault() }
        })
        defer { fixture.directory.remove() }
        let envelope = try Self.localEnvelope(fixture)
        let failing = try fixture.delivery.begin(envelope)
        victim.withLock { $0 = failing.temporaryPath }
        try failing.write(Self.body(0))
        let passing = try fixture.delivery.begin(envelope)
        try passing.write(Self.body(1))
        #expect(throws: InjectedFault.self) { try failing.commit() }
        _ = try passing.commit()
        #expect(try fixture.messages(in: fixture.bob) == [Self.body(1)])
        #expect(try fixture.messages(in: fixture.carol) == [Self.body(1)])
    }
}
