@testable import Delivery
import Foundation
import Glibc
import MailStore
import NIOPosix
import Synchronization
import Testing

/// Issue 11: concurrent commits share the fsync of a directory, and each still returns only after its own
/// message is durable, in the order file data → link/rename → directory.
@Suite("Group commit: shared directory fsyncs, each commit durable before it returns")
struct GroupCommitTests {
    typealias Fixture = SubmissionDeliveryTests.Fixture
    struct InjectedFault: Error {}
    struct TimedOut: Error {}

    /// What the commit hooks saw, in order, with the thread that saw it.
    enum Event: Sendable {
        case began(queueID: String, thread: pthread_t)
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

    @Test("32 transactions from a disk pool: all durable in both Maildirs, each new/ fsynced after its rename and before its return",
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
                    events.withLock { $0.append(.began(queueID: transaction.queueID, thread: pthread_self())) }
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

        // For each transaction: its file was synced before it was linked anywhere, and both new/ directories
        // were fsynced (by whichever thread ran the shared fsync) after its last rename and before its commit
        // returned.
        let log = events.withLock { $0 }
        var checked = 0
        for (start, event) in log.enumerated() {
            guard case .began(let queueID, let thread) = event else { continue }
            let end = try #require(log.indices.first { index in
                if case .returned(queueID, thread) = log[index] { return true } else { return false }
            })
            let own = (start..<end).filter { if case .step(_, thread) = log[$0] { true } else { false } }
            let firstLink = try #require(own.first { if case .step(.linkedIntoMaildir, _) = log[$0] { true } else { false } })
            let lastRename = try #require(own.last { if case .step(.renamedIntoNew, _) = log[$0] { true } else { false } })
            let fileSynced = own.first { if case .step(.synced, _) = log[$0] { true } else { false } }
            #expect(fileSynced.map { $0 < firstLink } == true, "\(queueID): file data synced before the link")
            for maildir in ["/bob/Maildir/new", "/carol/Maildir/new"] {
                let directorySynced = (lastRename..<end).contains { index in
                    if case .step(.directorySynced(let path), _) = log[index] { path.hasSuffix(maildir) } else { false }
                }
                #expect(directorySynced, "\(queueID): \(maildir) fsynced after the rename, before the return")
            }
            checked += 1
        }
        #expect(checked == count)
    }

    @Test("callers that ask while an fsync of new/ runs share the next one; when it fails, all of them fail and are taken back",
          arguments: [false, true])
    func sharedDirectorySync(fails: Bool) throws {
        let count = 6
        let gate = Mutex(Gate())
        let sync = Mutex<DirectorySync?>(nil)
        let bobNew = Mutex("")
        let fixture = try Fixture(faultHook: { step in
            switch step {
            case .synced:
                // All six have their file durable before any goes on to the Maildirs.
                gate.withLock { $0.synced += 1 }
                try Self.waitUntil { gate.withLock { $0.synced == count } }
            case .renamedIntoNew(index: 1):
                // Keep an fsync of bob's new/ running (the blocker's, started before any of the six asks), so
                // that the six queue up for the same next one.
                if gate.withLock({ state in defer { state.blockerClaimed = true }; return !state.blockerClaimed }) {
                    guard let sync = sync.withLock({ $0 }) else { throw TimedOut() }
                    let path = bobNew.withLock { $0 }
                    Thread.detachNewThread { try? sync.sync([path]) }
                }
                try Self.waitUntil { gate.withLock { $0.blockerRunning } }
            case .directorySynced(let path) where path == bobNew.withLock({ $0 }):
                let call = gate.withLock { state in
                    state.bobSyncs += 1
                    return state.bobSyncs
                }
                if call == 1 {
                    gate.withLock { $0.blockerRunning = true }
                    try Self.waitUntil { gate.withLock { $0.released } }
                } else if fails {
                    throw InjectedFault()
                }
            default:
                break
            }
        })
        defer { fixture.directory.remove() }
        sync.withLock { $0 = fixture.delivery.directorySync }
        let bob = try Maildir.open(path: fixture.bob, create: true).path + "/new"
        bobNew.withLock { $0 = bob }
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
        try Self.waitUntil { fixture.delivery.directorySync.waitingCount(for: bob) == count }
        gate.withLock { $0.released = true }
        #expect(done.wait(timeout: .now() + 60) == .success)

        #expect(outcomes.withLock { $0 } == Array(repeating: fails ? "failed" : "committed", count: count))
        #expect(gate.withLock { $0.bobSyncs } == 2, "the blocker's fsync, then one for all six")
        #expect(fixture.delivery.directorySync.syncCount(for: bob) == 2)
        if fails {
            #expect(fixture.leftovers() == [])
            #expect(try fixture.messages(in: fixture.bob).isEmpty)
            #expect(try fixture.messages(in: fixture.carol).isEmpty)
        } else {
            #expect(Set(try fixture.messages(in: fixture.bob)) == Set((0..<count).map(Self.body)))
            #expect(Set(try fixture.messages(in: fixture.carol)) == Set((0..<count).map(Self.body)))
        }
    }

    struct Gate {
        var synced = 0
        var blockerClaimed = false
        var blockerRunning = false
        var released = false
        var bobSyncs = 0
    }
}
