import POSIXSupport

/// Group commit (issue 11): concurrent transactions share fsync rounds instead of each waiting for its own.
///
/// A transaction asks `sync(files:directories:)` and blocks until a round that includes its request is over.
/// Whoever asks while no round runs becomes the round's leader: it takes every request queued so far, syncs
/// all their files (`fdatasync`), then each distinct directory once, hands each request its result, and wakes
/// the others. Requests arriving meanwhile queue up for the next round, led by one of their own threads.
///
/// Why the leader is one of the waiters and not a syncer job of its own: commits run on the disk
/// `NIOThreadPool`, and with every pool thread waiting, a separate job queued behind them would never run.
/// Here a waiter whose request is not done and sees no round running leads the next one, so some waiting
/// thread always makes progress, whatever the pool size.
///
/// Only the waiting is shared, not the order of the work: each transaction still makes its file durable
/// (one round) before it links and renames, and only then asks for its directories (a later round), so a
/// crash leaves each message absent or complete, as with one fsync after the other (DESIGN.md "Accepted mail
/// is never lost"). A failed sync fails every request that asked for that file or directory in that round.
///
/// Per-file `fdatasync` and per-directory `fsync` rather than one `syncfs(2)` per round: `syncfs` also
/// flushes whatever else is dirty on the file system (other programs' files), and reports a write-back error
/// to whichever round runs next, not necessarily the one whose file lost data.
///
/// Blocks: call only from a thread pool made for blocking work.
final class GroupSync: Sendable {
    /// An open file to make durable, named for errors.
    struct File: Sendable {
        let descriptor: Int32
        let path: String
    }

    private struct Request: Sendable {
        let ticket: Int
        let files: [File]
        let directories: [String]
    }

    private struct State: Sendable {
        var lastTicket = 0
        var queued: [Request] = []
        var roundRunning = false
        /// Results of finished requests, until their owner picks them up.
        var results: [Int: Result<Void, any Error>] = [:]
        var rounds = 0
    }

    private let state = WaitableLock(State())
    private let faultHook: CommitFaultHook?

    /// - Parameter faultHook: called by the leader after each file and directory it synced (tests inject
    ///   failures there; a throw counts as that sync failing).
    init(faultHook: CommitFaultHook? = nil) {
        self.faultHook = faultHook
    }

    /// Makes `files` (data) and `directories` (entries) durable, in a round shared with other callers, and
    /// returns once that round is over. No order between the files and directories of one call: a caller
    /// that needs one before the other makes two calls.
    /// - Throws: the first failure among this call's files and directories (`DeliveryError.system`, or what
    ///   the fault hook threw).
    func sync(files: [File] = [], directories: [String] = []) throws {
        let ticket = state.withLock { state in
            state.lastTicket += 1
            state.queued.append(Request(ticket: state.lastTicket, files: files, directories: directories))
            return state.lastTicket
        }
        while true {
            let round: [Request]? = try state.withLock(whenReady: { $0.results[ticket] != nil || !$0.roundRunning }) {
                state in
                if let result = state.results.removeValue(forKey: ticket) {
                    try result.get()
                    return nil
                }
                state.roundRunning = true
                state.rounds += 1
                defer { state.queued = [] }
                return state.queued
            }
            guard let round else { return }
            // This thread leads: its own request is in `round`.
            let results = run(round)
            state.withLock { state in
                state.roundRunning = false
                state.results.merge(results) { _, new in new }
            }
            state.wakeAll()
        }
    }

    /// Syncs every file of `round`, then each distinct directory once; returns each request's result.
    private func run(_ round: [Request]) -> [Int: Result<Void, any Error>] {
        var failures: [Int: any Error] = [:]
        for request in round {
            for file in request.files where failures[request.ticket] == nil {
                do {
                    try FileSystem.dataSync(file.descriptor, path: file.path)
                    try faultHook?(.roundSyncedFile(path: file.path))
                } catch {
                    failures[request.ticket] = error
                }
            }
        }
        var seen: Set<String> = []
        for directory in round.flatMap(\.directories) where seen.insert(directory).inserted {
            do {
                try FileSystem.fsyncDirectory(directory)
                try faultHook?(.roundSyncedDirectory(path: directory))
            } catch {
                for request in round where request.directories.contains(directory) && failures[request.ticket] == nil {
                    failures[request.ticket] = error
                }
            }
        }
        var results: [Int: Result<Void, any Error>] = [:]
        for request in round {
            results[request.ticket] = failures[request.ticket].map { .failure($0) } ?? .success(())
        }
        return results
    }

    /// How many requests wait for the next round (tests use it to line up a round).
    var queuedCount: Int { state.withLock { $0.queued.count } }

    /// Whether a round is being synced right now (tests).
    var isRoundRunning: Bool { state.withLock { $0.roundRunning } }

    /// How many rounds ran so far (tests and benchmarks compare it with the number of requests).
    var roundCount: Int { state.withLock { $0.rounds } }
}
