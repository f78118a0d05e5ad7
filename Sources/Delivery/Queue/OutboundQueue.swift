public import Foundation
public import Logging
public import NIOCore
public import NIOPosix
public import TLS
public import DNS

/// The queue runner: takes spool entries when they are due, delivers their remote recipients (MX or relay,
/// under each destination's TLS policy), records every result durably in the entry, retries with backoff,
/// bounces what fails or expires, and removes an entry once no recipient is left.
///
/// At-least-once, never zero: an entry's envelope is rewritten only after the attempt's results are known
/// (and its bounces are themselves durable), so a crash at any moment may repeat a delivery, never lose one.
/// Blocking work (spool files, DNS) runs on `threadPool`; connections on `group`.
public actor OutboundQueue {
    let spool: Spool
    let settings: OutboundQueueSettings
    let destinations: DestinationResolver
    let tlsContext: TLSClientContext
    let group: any EventLoopGroup
    let threadPool: NIOThreadPool
    let reports: any DeliveryReportSink
    /// The STRIPTLS downgrade memory, beside the spool.
    let tlsMemory: TLSMemoryStore
    /// TLS-RPT counts per day, beside the spool.
    let tlsReports: TLSReportCollector
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Domains' MTA-STS policies, cached under `queue/mta-sts/`.
    let mtaSTSPolicies: MTASTSPolicyCache
    let metrics = DeliveryMetrics()

    /// Entries known from the spool: when each is due, and the envelope stamp that was read.
    private var due: [String: (next: Date, stamp: Double)] = [:]
    /// When each entry of `due` arrived (for the oldest entry's age in the metrics).
    private var arrivals: [String: Date] = [:]
    private var inFlight: Set<String> = []
    private var connections: [String: Int] = [:]
    private var connectionWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var waiter: CheckedContinuation<Void, Never>?
    private var wakeRequested = false
    /// A wake-up asked for a scan; cleared before the scan starts, so one that comes during it is kept.
    private var scanRequested = false
    /// Ids that were due when it was built, the soonest last: taken from as attempt slots free up, rebuilt
    /// (one sort) only when it runs out or the entries changed, so an attempt's end costs no sort of the queue.
    private var readyQueue: [String] = []
    private var readyQueueStale = true
    private var lastScan = Date.distantPast
    private var loop: Task<Void, Never>?
    private var attempts: [String: Task<Void, Never>] = [:]
    /// When TLS-RPT counts were last written and completed days looked for, and the task doing it.
    private var lastReportMaintenance = Date.distantPast
    private var reportMaintenance: Task<Void, Never>?

    public init(
        spool: Spool, settings: OutboundQueueSettings, resolver: DNSResolver, tlsContext: TLSClientContext,
        group: any EventLoopGroup, threadPool: NIOThreadPool, reports: any DeliveryReportSink, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.spool = spool
        self.settings = settings
        self.destinations = DestinationResolver(resolver: resolver)
        self.tlsContext = tlsContext
        self.group = group
        self.threadPool = threadPool
        self.reports = reports
        self.tlsMemory = TLSMemoryStore(directory: spool.directory)
        self.tlsReports = TLSReportCollector(queueDirectory: spool.directory)
        self.logger = logger
        self.clock = clock
        self.mtaSTSPolicies = Self.makeMTASTSPolicyCache(
            queueDirectory: spool.directory, resolver: resolver, tlsContext: tlsContext, group: group,
            threadPool: threadPool, logger: logger, clock: clock)
    }

    /// Starts the runner (a second call does nothing).
    public func start() {
        guard loop == nil else { return }
        loop = Task { await self.run() }
    }

    /// Stops taking entries and waits for the attempts in flight (their connections end at their timeouts).
    public func stop() async {
        loop?.cancel()
        wakeUp()
        await loop?.value
        loop = nil
        for task in attempts.values { await task.value }
        await reportMaintenance?.value
        do { try tlsReports.flush() } catch { logger.error("cannot write TLS report counts", metadata: ["error": "\(error)"]) }
    }

    /// Looks at the spool again now: an admin changed entries.
    public nonisolated func wake() {
        Task { await self.wakeUp() }
    }

    /// Takes the entry `id`, just spooled, without rereading the whole spool.
    public nonisolated func enqueue(id: String) {
        Task { await self.added(id: id) }
    }

    private func added(id: String) {
        guard due[id] == nil, !inFlight.contains(id) else { return }
        due[id] = (clock(), -1)  // the next scan rereads its envelope (the stamp matches nothing)
        arrivals[id] = clock()
        readyQueueStale = true
        timerFired()
    }

    private func wakeUp() {
        scanRequested = true
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            wakeRequested = true
        }
    }

    private func run() async {
        while !Task.isCancelled {
            let now = clock()
            if scanRequested || now.timeIntervalSince(lastScan) >= RetrySchedule.seconds(settings.scanInterval) {
                scanRequested = false
                lastScan = now
                await scan()
            }
            // Beside delivery, never in its way: sending a day's reports takes DNS lookups.
            if reportMaintenance == nil, now.timeIntervalSince(lastReportMaintenance) >= 60
                || TLSReportCollector.day(of: now) != TLSReportCollector.day(of: lastReportMaintenance) {
                lastReportMaintenance = now
                let flushing = tlsReports.hasPending
                reportMaintenance = Task {
                    await self.tlsReportMaintenance(now: now, flushing: flushing)
                    self.reportMaintenanceEnded()
                }
            }
            if readyQueueStale || readyQueue.isEmpty, inFlight.count < settings.maximumConcurrentMessages {
                readyQueue = due.filter { $0.value.next <= now && !inFlight.contains($0.key) }
                    .sorted { ($0.value.next, $0.key) > ($1.value.next, $1.key) }
                    .map(\.key)
                readyQueueStale = false
            }
            while inFlight.count < settings.maximumConcurrentMessages, let id = readyQueue.popLast() {
                guard let entry = due[id], entry.next <= now, !inFlight.contains(id) else { continue }
                inFlight.insert(id)
                attempts[id] = Task { await self.attempt(id: id) }
            }
            // With every slot taken nothing can start before an attempt ends, which wakes this loop: wait for
            // that (or the next scan), not for entries already due, or the loop would spin on the actor
            // without ever suspending and the attempts, which need the actor, would never finish.
            let slotFree = inFlight.count < settings.maximumConcurrentMessages
            let nextDue = slotFree && readyQueue.isEmpty
                ? due.filter { !inFlight.contains($0.key) }.map(\.value.next).min() : nil
            let nextScan = lastScan.addingTimeInterval(RetrySchedule.seconds(settings.scanInterval))
            await sleep(until: min(nextDue ?? nextScan, nextScan))
        }
    }

    /// Sleeps until `deadline`, a wake-up, or the end of an attempt that frees a slot.
    private func sleep(until deadline: Date) async {
        if wakeRequested {
            wakeRequested = false
            return
        }
        let seconds = deadline.timeIntervalSince(clock())
        guard seconds > 0 else { return }
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(Int64(min(seconds, 3600) * 1000) + 1))
            self.timerFired()
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
    }

    private func reportMaintenanceEnded() {
        reportMaintenance = nil
    }

    private func timerFired() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        }
    }

    /// Rereads the entries whose envelope changed since the last scan, and forgets removed ones.
    private func scan() async {
        let spool = self.spool
        do {
            let stamps = try await threadPool.runIfActive { try spool.envelopeStamps() }
            for id in due.keys where stamps[id] == nil && !inFlight.contains(id) {
                due[id] = nil
                arrivals[id] = nil
            }
            let changed = stamps.filter { due[$0.key]?.stamp != $0.value && !inFlight.contains($0.key) }
            for (id, stamp) in changed {
                guard let entry = try await threadPool.runIfActive({ try spool.entry(id: id) }) else { continue }
                due[id] = (entry.envelope.nextAttempt ?? entry.envelope.arrival, stamp)
                arrivals[id] = entry.envelope.arrival
            }
            if !changed.isEmpty { readyQueueStale = true }
        } catch {
            logger.error("cannot read the outbound queue", metadata: ["error": "\(error)"])
            metrics.queueStorageErrors.increment()
        }
    }

    /// One attempt at entry `id`, then its new due time (or its removal) recorded.
    private func attempt(id: String) async {
        let next = await deliverEntry(id: id)
        inFlight.remove(id)
        attempts[id] = nil
        if let next {
            due[id] = next
        } else {
            due[id] = nil
            arrivals[id] = nil
        }
        timerFired()  // a slot is free: look for more work
    }

    /// How many entries the queue holds and when the oldest of them arrived (nil when it is empty).
    public func contents() -> (entries: Int, oldestArrival: Date?) {
        (due.count, arrivals.values.min())
    }

    // MARK: Connections per destination

    func acquireConnection(to domain: String) async {
        if connections[domain, default: 0] < settings.destinationConcurrency {
            connections[domain, default: 0] += 1
            return
        }
        await withCheckedContinuation { connectionWaiters[domain, default: []].append($0) }
    }

    func releaseConnection(to domain: String) {
        if var waiting = connectionWaiters[domain], !waiting.isEmpty {
            let next = waiting.removeFirst()
            connectionWaiters[domain] = waiting.isEmpty ? nil : waiting
            next.resume()  // the slot passes to it
        } else {
            connections[domain, default: 1] -= 1
            if connections[domain] == 0 { connections[domain] = nil }
        }
    }
}
