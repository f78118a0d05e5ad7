import Foundation
import Synchronization

/// What the test server saw, in order ("handshake TLSv1.3", "error uncleanShutdown", "inactive").
final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }

    /// Waits (up to `timeout` seconds, so a test never hangs) until `entry` has been logged.
    @discardableResult
    func waitFor(_ entry: String, timeout: Double = 10) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if all.contains(entry) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return all.contains(entry)
    }
}
