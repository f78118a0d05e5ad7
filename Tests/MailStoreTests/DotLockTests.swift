import Foundation
import Glibc
import Testing
@testable import MailStore

@Suite("dovecot-uidlist.lock dotlock")
struct DotLockTests {
    /// A fresh directory for one test; removed by the caller.
    private static func makeDirectory() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loft-dotlock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    @Test("a lock held past the stale age by a live holder is not taken over")
    func liveHolderKeepsTheLock() async throws {
        let root = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/dovecot-uidlist.lock"
        let held = try DotLock.acquire(path: path, staleAfter: .milliseconds(400))
        defer { held.release() }
        // Three stale ages (a long synchronize); the holder is alive all along.
        try await Task.sleep(for: .milliseconds(1200))
        #expect(throws: MailStoreError.lockTimeout(path: path, seconds: 0)) {
            try DotLock.acquire(path: path, staleAfter: .milliseconds(400), timeout: .zero)
        }
        held.release()
        let next = try DotLock.acquire(path: path, staleAfter: .milliseconds(400), timeout: .zero)
        next.release()
    }

    @Test("a lock left by a dead holder is taken over once stale")
    func abandonedLockIsTakenOver() throws {
        let root = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/dovecot-uidlist.lock"
        try Data("4242\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MailStoreError.lockTimeout(path: path, seconds: 0)) {
            try DotLock.acquire(path: path, staleAfter: .seconds(60), timeout: .zero)
        }
        var times = [timeval(tv_sec: time(nil) - 120, tv_usec: 0), timeval(tv_sec: time(nil) - 120, tv_usec: 0)]
        #expect(utimes(path, &times) == 0)
        let lock = try DotLock.acquire(path: path, staleAfter: .seconds(60), timeout: .zero)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\(getpid())\n")
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
