import Foundation
import Logging
import NIOPosix

/// The MTA-STS policy that applies to a recipient domain, looked up before each delivery (RFC 8461 §5.1):
/// the `_mta-sts` TXT record first, then the cached policy (memory, then disk) when its id still matches and
/// it has not expired, else a fetch; a failed lookup or fetch keeps a cached policy that has not expired.
///
/// Concurrent lookups for one domain share one fetch. A failed fetch is not repeated for the same record id
/// within `retryFailedFetchAfter`, so a dead policy server does not hold up every delivery by its timeout.
actor MTASTSPolicyCache {
    typealias RecordLookup = @Sendable (_ domain: String) async -> MTASTSRecordLookup
    typealias PolicyFetch = @Sendable (_ domain: String) async throws(MTASTSError) -> MTASTSPolicy

    private let store: MTASTSPolicyStore
    private let threadPool: NIOThreadPool
    private let lookUpRecord: RecordLookup
    private let fetchPolicy: PolicyFetch
    private let clock: @Sendable () -> Date
    private let logger: Logger
    let retryFailedFetchAfter: TimeInterval

    /// By domain; `.some(nil)`: the disk was read and holds nothing.
    private var memory: [String: MTASTSCachedPolicy?] = [:]
    private var lookups: [String: Task<MTASTSCachedPolicy?, Never>] = [:]
    private var failedFetches: [String: (id: String, at: Date)] = [:]

    init(
        directory: String, threadPool: NIOThreadPool, logger: Logger, clock: @escaping @Sendable () -> Date,
        retryFailedFetchAfter: TimeInterval = 300, lookUpRecord: @escaping RecordLookup, fetchPolicy: @escaping PolicyFetch
    ) {
        self.store = MTASTSPolicyStore(directory: directory)
        self.threadPool = threadPool
        self.logger = logger
        self.clock = clock
        self.retryFailedFetchAfter = retryFailedFetchAfter
        self.lookUpRecord = lookUpRecord
        self.fetchPolicy = fetchPolicy
    }

    /// The policy that applies to `domain` now, or nil when it has none (or the name cannot have one).
    func policy(for domain: String) async -> MTASTSCachedPolicy? {
        let domain = domain.lowercased()
        guard MTASTSPolicy.isHostName(domain) else { return nil }
        if let running = lookups[domain] { return await running.value }
        let task = Task {
            let result = await self.resolve(domain)
            self.lookupFinished(domain)
            return result
        }
        lookups[domain] = task
        return await task.value
    }

    private func lookupFinished(_ domain: String) {
        lookups[domain] = nil
    }

    private func resolve(_ domain: String) async -> MTASTSCachedPolicy? {
        let record = await lookUpRecord(domain)
        let cached = await cachedPolicy(domain)
        let now = clock()
        let decision = MTASTSCacheDecision.decide(cached: cached, record: record, now: now)
        switch decision {
        case .useCached:
            if case .failed(let reason) = record {
                logger.info("MTA-STS record lookup failed: keeping the cached policy", metadata: [
                    "domain": "\(domain)", "reason": "\(reason)", "policy": "\(cached?.summary ?? "-")"])
            }
            return cached
        case .noPolicy:
            if let cached {
                logger.info("MTA-STS policy expired", metadata: ["domain": "\(domain)", "policy": "\(cached.summary)"])
                await forget(domain)
            }
            return nil
        case .fetch(let id):
            if let failed = failedFetches[domain], failed.id == id, now.timeIntervalSince(failed.at) < retryFailedFetchAfter {
                return decision.policy(domain: domain, cached: cached, fetched: nil, now: now)
            }
            let fetched: Result<MTASTSPolicy, MTASTSError>
            do {
                fetched = .success(try await fetchPolicy(domain))
            } catch {
                fetched = .failure(error)
            }
            let applied = decision.policy(domain: domain, cached: cached, fetched: fetched, now: clock())
            switch fetched {
            case .success(let policy):
                failedFetches[domain] = nil
                memory[domain] = .some(applied)
                logger.info("MTA-STS policy fetched", metadata: [
                    "domain": "\(domain)", "policy": "\(applied?.summary ?? "-")", "mx": "\(policy.mx.joined(separator: " "))",
                    "max_age": "\(policy.maxAge)"])
                if let applied { await save(applied) }
            case .failure(let error):
                failedFetches[domain] = (id, now)
                logger.warning("MTA-STS policy fetch failed", metadata: [
                    "domain": "\(domain)", "id": "\(id)", "reason": "\(error)",
                    "outcome": "\(applied.map { "keeping the cached policy, \($0.summary)" } ?? "no policy applies")"])
            }
            return applied
        }
    }

    /// The policy in memory, else on disk (read once per domain).
    private func cachedPolicy(_ domain: String) async -> MTASTSCachedPolicy? {
        if let known = memory[domain] { return known }
        let store = self.store
        let loaded: MTASTSCachedPolicy?
        do {
            loaded = try await threadPool.runIfActive { try store.load(domain: domain) }
        } catch {
            logger.warning("cannot read the cached MTA-STS policy", metadata: ["domain": "\(domain)", "error": "\(error)"])
            loaded = nil
        }
        memory[domain] = .some(loaded)
        return loaded
    }

    private func save(_ cached: MTASTSCachedPolicy) async {
        let store = self.store
        do {
            try await threadPool.runIfActive { try store.save(cached) }
        } catch {
            // Still applied from memory; a restart fetches it again.
            logger.warning("cannot store the MTA-STS policy", metadata: ["domain": "\(cached.domain)", "error": "\(error)"])
        }
    }

    private func forget(_ domain: String) async {
        memory[domain] = .some(nil)
        let store = self.store
        try? await threadPool.runIfActive { try store.remove(domain: domain) }
    }
}
