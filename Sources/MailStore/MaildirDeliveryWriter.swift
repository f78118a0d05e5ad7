import Foundation
import Glibc

/// One delivery into a Maildir, streamed: bytes go to a file in `tmp/` as they arrive and are never held
/// whole in memory. `commit()` makes the message durable and visible in `new/`; `abort()` (or dropping the
/// writer uncommitted) removes it.
///
/// Maildir delivery (https://cr.yp.to/proto/maildir.html and DESIGN.md "Storage: Maildir"): write into
/// `tmp/<unique>`, `fsync`, `rename` to `new/<unique>,S=<size>,W=<vsize>`, `fsync` `new/`. A failure at
/// any step removes the temporary file and leaves nothing in `new/` or `cur/`.
///
/// The writer is `Sendable` so SMTP can hand it from one thread-pool job to the next; calls are serialized
/// internally, and it is meant to be used by one delivery at a time.
public final class MaildirDeliveryWriter: Sendable {
    /// The points of `commit()` where an injected fault may strike (tests only).
    enum Step: Sendable {
        /// Every byte is written to the temporary file, not yet fsynced.
        case written
        /// The temporary file is fsynced and closed; next comes the rename into `new/`.
        case synced
        /// The file is in `new/`; next comes the fsync of `new/`.
        case renamed
    }

    typealias FaultHook = @Sendable (Step) throws -> Void

    private struct State {
        var fd: Int32?
        var counter = VirtualSizeCounter()
        var pending: [UInt8] = []
    }

    /// The path of the file in `tmp/`.
    public let temporaryPath: String
    private let maildirPath: String
    private let uniqueName: String
    private let faultHook: FaultHook?
    private let state: LockedValue<State>

    /// Chunks smaller than this are gathered before a `write(2)`, so line-sized pieces from SMTP DATA
    /// do not cost one system call each.
    private static let flushThreshold = 64 * 1024

    init(maildirPath: String, faultHook: FaultHook?) throws {
        var attempt = 0
        while true {
            let name = Self.makeUniqueName()
            let path = maildirPath + "/tmp/" + name
            do {
                let fd = try POSIX.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
                self.temporaryPath = path
                self.maildirPath = maildirPath
                self.uniqueName = name
                self.faultHook = faultHook
                self.state = LockedValue(State(fd: fd))
                return
            } catch MailStoreError.system(_, _, EEXIST) where attempt < 10 {
                attempt += 1
            }
        }
    }

    deinit {
        abort()
    }

    /// Appends bytes to the message.
    /// - Throws: `MailStoreError` when the disk write fails (the delivery is then aborted) or the
    ///   delivery was already committed or aborted.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try state.withLock { state in
            guard let fd = state.fd else { throw MailStoreError.deliveryFinished(temporaryPath: temporaryPath) }
            state.counter.add(bytes)
            state.pending.append(contentsOf: bytes)
            if state.pending.count >= Self.flushThreshold {
                do {
                    try flush(&state, fd: fd)
                } catch {
                    discardTemporary(&state)
                    throw error
                }
            }
        }
    }

    /// Makes the message durable and visible: fsync, rename into `new/`, fsync `new/`.
    /// Returns only once all of that is on disk.
    /// - Returns: the file name in `new/` (`<unique>,S=<size>,W=<virtual size>`).
    /// - Throws: `MailStoreError`; then nothing of the message is left in `tmp/`, `new/` or `cur/`.
    public func commit() throws -> String {
        try state.withLock { state in
            guard let fd = state.fd else { throw MailStoreError.deliveryFinished(temporaryPath: temporaryPath) }
            do {
                try flush(&state, fd: fd)
                try faultHook?(.written)
                try POSIX.fsync(fd, path: temporaryPath)
                try faultHook?(.synced)
                POSIX.close(fd)
                state.fd = nil
            } catch {
                discardTemporary(&state)
                throw error
            }
            let finalName = "\(uniqueName),S=\(state.counter.size),W=\(state.counter.virtualSize)"
            let newDirectory = maildirPath + "/new"
            let finalPath = newDirectory + "/" + finalName
            do {
                try POSIX.rename(temporaryPath, finalPath)
            } catch {
                _ = try? POSIX.unlink(temporaryPath)
                throw error
            }
            do {
                try faultHook?(.renamed)
                try POSIX.fsyncDirectory(newDirectory)
            } catch {
                // Not durable, so not accepted: take it back out of new/ before anyone lists it as delivered.
                _ = try? POSIX.unlink(finalPath)
                _ = try? POSIX.fsyncDirectory(newDirectory)
                throw error
            }
            return finalName
        }
    }

    /// Abandons the delivery: closes and removes the temporary file. Does nothing after `commit()` or a
    /// previous `abort()`.
    public func abort() {
        state.withLock { discardTemporary(&$0) }
    }

    private func flush(_ state: inout State, fd: Int32) throws {
        try state.pending.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: temporaryPath) }
        state.pending.removeAll(keepingCapacity: true)
    }

    private func discardTemporary(_ state: inout State) {
        guard let fd = state.fd else { return }
        POSIX.close(fd)
        state.fd = nil
        state.pending = []
        _ = try? POSIX.unlink(temporaryPath)
    }

    private static let deliveryCounter = LockedValue<UInt64>(0)

    /// `<secs>.M<usecs>P<pid>Q<counter>.<host>`, unique per process through the counter and across
    /// processes and machines through pid and host name (Maildir convention, as Dovecot names files).
    private static func makeUniqueName() -> String {
        let (seconds, microseconds) = POSIX.now()
        let counter = deliveryCounter.withLock { value -> UInt64 in
            value += 1
            return value
        }
        return "\(seconds).M\(microseconds)P\(getpid())Q\(counter).\(hostName)"
    }

    /// The host name with `/` and `:` escaped as `\057` and `\072`, as the Maildir convention asks, and `,`
    /// as `\054` so it cannot be mistaken for the `,S=` size fields.
    private static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let raw = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "localhost"
        return raw.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
            .replacingOccurrences(of: ",", with: "\\054")
    }()
}
