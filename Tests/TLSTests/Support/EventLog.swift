import Foundation
import Synchronization

/// What the test server saw, in order ("handshake TLSv1.3", "error uncleanShutdown", "inactive").
final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }

    /// Waits (up to `timeout` seconds, so a test never hangs) until `entry` has been logged.
    /// - Throws: `PeerError` when it was not logged in time, so checks after it never pass vacuously.
    func waitFor(_ entry: String, timeout: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !all.contains(entry) {
            guard Date() < deadline else { throw PeerError(text: "\"\(entry)\" not logged within \(timeout) s: \(all)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
