@testable import Delivery
import Foundation
import Logging
import NIOPosix
import Synchronization
import Testing

@Suite("MTA-STS: the policy cache (RFC 8461 §5.1), with an injected clock")
struct MTASTSPolicyCacheTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)
    static let enforce = MTASTSPolicy(mode: .enforce, mx: ["mx.example.net"], maxAge: 86400)

    static func cached(id: String, fetched: Date = start) -> MTASTSCachedPolicy {
        MTASTSCachedPolicy(domain: "example.net", id: id, policy: enforce, fetched: fetched)
    }

    @Test("decisions: keep a fresh policy whose id still matches; fetch on a new id or when nothing fresh is held")
    func decisions() {
        let fresh = Self.cached(id: "A")
        let now = Self.start.addingTimeInterval(3600)
        let atExpiry = Self.start.addingTimeInterval(86400)
        let cases: [(MTASTSCachedPolicy?, MTASTSRecordLookup, Date, MTASTSCacheDecision)] = [
            (nil, .found(id: "A"), now, .fetch(id: "A")),
            (fresh, .found(id: "A"), now, .useCached),
            (fresh, .found(id: "B"), now, .fetch(id: "B")),
            (fresh, .found(id: "A"), atExpiry, .fetch(id: "A")),
            (fresh, .found(id: "A"), atExpiry.addingTimeInterval(-1), .useCached),
            (fresh, .absent, now, .useCached),
            (fresh, .failed("SERVFAIL"), now, .useCached),
            (fresh, .absent, atExpiry, .noPolicy),
            (fresh, .failed("SERVFAIL"), atExpiry, .noPolicy),
            (nil, .absent, now, .noPolicy),
            (nil, .failed("SERVFAIL"), now, .noPolicy),
        ]
        for (cached, record, now, expected) in cases {
            #expect(MTASTSCacheDecision.decide(cached: cached, record: record, now: now) == expected,
                    "\(cached?.id ?? "nothing cached"), \(record), +\(now.timeIntervalSince(Self.start)) s")
        }
    }

    @Test("the policy applied after a decision: the cached one, the one fetched, or after a failed fetch a fresh cached one")
    func appliedPolicy() {
        let cached = Self.cached(id: "A")
        let now = Self.start.addingTimeInterval(3600)
        let testing = MTASTSPolicy(mode: .testing, mx: ["*.example.net"], maxAge: 600)
        let failed = Result<MTASTSPolicy, MTASTSError>.failure(.fetchFailed("connection refused"))
        #expect(MTASTSCacheDecision.useCached.policy(domain: "example.net", cached: cached, fetched: nil, now: now) == cached)
        #expect(MTASTSCacheDecision.noPolicy.policy(domain: "example.net", cached: cached, fetched: nil, now: now) == nil)
        let fetched = MTASTSCacheDecision.fetch(id: "B").policy(domain: "Example.NET", cached: cached, fetched: .success(testing), now: now)
        #expect(fetched == MTASTSCachedPolicy(domain: "example.net", id: "B", policy: testing, fetched: now))
        #expect(MTASTSCacheDecision.fetch(id: "B").policy(domain: "example.net", cached: cached, fetched: failed, now: now) == cached)
        let expired = Self.start.addingTimeInterval(86400)
        #expect(MTASTSCacheDecision.fetch(id: "B").policy(domain: "example.net", cached: cached, fetched: failed, now: expired) == nil)
    }

    /// A cache over a temporary directory whose TXT record, policy server and clock the test controls.
    final class Harness: Sendable {
        let directory: TemporaryDirectory
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        let now = Mutex(MTASTSPolicyCacheTests.start)
        let record = Mutex(MTASTSRecordLookup.found(id: "A"))
        let served = Mutex(Result<MTASTSPolicy, MTASTSError>.success(MTASTSPolicyCacheTests.enforce))
        let fetches = Mutex(0)
        let fetchDelay: Duration

        init(fetchDelay: Duration = .zero) throws {
            directory = try TemporaryDirectory()
            self.fetchDelay = fetchDelay
            threadPool.start()
        }

        /// A fresh cache (as after a restart): nothing in memory.
        func makeCache() -> MTASTSPolicyCache {
            var logger = Logger(label: "mta-sts-tests")
            logger.logLevel = .critical
            return MTASTSPolicyCache(
                directory: directory.path + "/mta-sts", threadPool: threadPool, logger: logger,
                clock: { self.now.withLock { $0 } },
                lookUpRecord: { _ in self.record.withLock { $0 } },
                fetchPolicy: { _ throws(MTASTSError) in
                    self.fetches.withLock { $0 += 1 }
                    if self.fetchDelay > .zero { try? await Task.sleep(for: self.fetchDelay) }
                    return try self.served.withLock { $0 }.get()
                })
        }

        func advance(_ seconds: TimeInterval) {
            now.withLock { $0 = $0.addingTimeInterval(seconds) }
        }

        var fetchCount: Int { fetches.withLock { $0 } }

        func cleanUp() {
            try? threadPool.syncShutdownGracefully()
            directory.remove()
        }
    }

    @Test("the first lookup fetches and stores the policy; later ones use memory, and after a restart the disk")
    func fetchThenCache() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let cache = harness.makeCache()
        let first = try #require(await cache.policy(for: "Example.NET"))
        #expect(first == Self.cached(id: "A"))
        #expect(harness.directory.list("mta-sts") == ["example.net.json"])
        harness.advance(3600)
        #expect(await cache.policy(for: "example.net") == first)
        #expect(harness.fetchCount == 1)

        let restarted = harness.makeCache()
        #expect(await restarted.policy(for: "example.net") == first, "read back from example.net.json")
        #expect(harness.fetchCount == 1)
    }

    @Test("a new id is fetched; when that fetch fails the cached policy stays, and the fetch waits before it is tried again")
    func failedRefreshKeepsPolicy() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let cache = harness.makeCache()
        _ = await cache.policy(for: "example.net")
        harness.record.withLock { $0 = .found(id: "B") }
        harness.served.withLock { $0 = .failure(.fetchFailed("connection refused")) }
        harness.advance(60)
        #expect(await cache.policy(for: "example.net")?.id == "A")
        #expect(harness.fetchCount == 2)
        harness.advance(60)
        #expect(await cache.policy(for: "example.net")?.id == "A")
        #expect(harness.fetchCount == 2, "no second fetch for id B within five minutes")

        let testing = MTASTSPolicy(mode: .testing, mx: ["*.example.net"], maxAge: 600)
        harness.served.withLock { $0 = .success(testing) }
        harness.advance(300)
        let refreshed = try #require(await cache.policy(for: "example.net"))
        #expect(refreshed.id == "B" && refreshed.policy == testing && refreshed.fetched == Self.start.addingTimeInterval(420))
        #expect(harness.fetchCount == 3)
        #expect(await harness.makeCache().policy(for: "example.net") == refreshed, "the new policy replaced the file")
    }

    @Test("a record that disappears or a failing DNS keeps a fresh policy; once max_age has passed it is gone, file and all")
    func expiry() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let cache = harness.makeCache()
        _ = await cache.policy(for: "example.net")
        harness.record.withLock { $0 = .absent }
        harness.advance(86399)
        #expect(await cache.policy(for: "example.net")?.id == "A")
        harness.record.withLock { $0 = .failed("SERVFAIL") }
        #expect(await cache.policy(for: "example.net")?.id == "A")
        harness.advance(1)
        #expect(await cache.policy(for: "example.net") == nil)
        #expect(harness.directory.list("mta-sts").isEmpty)
        #expect(harness.fetchCount == 1)
    }

    @Test("an invalid policy or a failed fetch with nothing cached: no policy")
    func nothingCached() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        harness.served.withLock { $0 = .failure(.invalidPolicy("the mode field is missing")) }
        #expect(await harness.makeCache().policy(for: "example.net") == nil)
        #expect(harness.directory.list("mta-sts").isEmpty)
    }

    @Test("concurrent lookups of one domain share one fetch")
    func sharedFetch() async throws {
        let harness = try Harness(fetchDelay: .milliseconds(200))
        defer { harness.cleanUp() }
        let cache = harness.makeCache()
        async let first = cache.policy(for: "example.net")
        async let second = cache.policy(for: "example.net")
        let results = await [first, second]
        #expect(results.allSatisfy { $0?.id == "A" })
        #expect(harness.fetchCount == 1)
    }

    @Test("names that are not host names (address literals) never have a policy and never make a file")
    func oddNames() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let cache = harness.makeCache()
        for name in ["[192.0.2.1]", "../etc", ".example.net", ""] {
            #expect(await cache.policy(for: name) == nil)
        }
        #expect(harness.fetchCount == 0)
        #expect(harness.directory.list("mta-sts").isEmpty)
    }
}
