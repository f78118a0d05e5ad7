import Foundation
import Synchronization

/// Holds a listener's current `TLSServerContext` and rebuilds it on demand (SIGHUP, or a new ACME
/// certificate written over the old files).
///
/// New connections take `current`; live connections keep the context they started with.
/// A failed reload leaves `current` untouched.
public final class TLSContextProvider: Sendable {
    /// The configuration whose files every reload reads again.
    public let configuration: TLSServerConfiguration
    /// Pending ACME tls-alpn-01 challenges every context of this provider answers (RFC 8737).
    public let challenges: TLSALPNChallenges?
    private let context: Mutex<TLSServerContext>

    /// Builds the first context (blocking: call off the event loop).
    /// - Throws: `TLSError` as `TLSServerContext.init` does.
    public init(configuration: TLSServerConfiguration, challenges: TLSALPNChallenges? = nil) throws {
        self.configuration = configuration
        self.challenges = challenges
        self.context = Mutex(try TLSServerContext(configuration: configuration, challenges: challenges))
    }

    /// The context new connections should use. Thread-safe.
    public var current: TLSServerContext {
        context.withLock { $0 }
    }

    /// Rebuilds the context from the same configuration's files and swaps it in.
    /// Blocking (reads files): call off the event loop.
    /// - Returns: the new context's warnings, for the caller to log.
    /// - Throws: `TLSError` with the reason; the previous context then stays in use.
    @discardableResult
    public func reload(now: Date = Date()) throws -> [String] {
        let fresh = try TLSServerContext(configuration: configuration, challenges: challenges, now: now)
        context.withLock { $0 = fresh }
        return fresh.warnings
    }
}
