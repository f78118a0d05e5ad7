import Foundation
import Synchronization

/// Collects TLS-RPT results in memory and keeps them per UTC day in `<queue>/tls-rpt/<day>.json` (merged,
/// replaced atomically), flushed about once a minute and at shutdown: a crash loses at most that minute of
/// statistics, never mail. Blocking file I/O in `flush`, `pendingDays`, `load`, `remove`: call from a thread pool.
public final class TLSReportCollector: Sendable {
    let directory: String
    private let pending = Mutex<[String: TLSReportDay]>([:])

    /// - Parameter queueDirectory: `Spool.directory`.
    public init(queueDirectory: String) {
        directory = queueDirectory + "/tls-rpt"
    }

    func record(_ session: TLSReportSession, at now: Date) {
        let day = Self.day(of: now)
        pending.withLock { $0[day, default: TLSReportDay(day: day)].record(session) }
    }

    var hasPending: Bool { pending.withLock { !$0.isEmpty } }

    /// Writes what was collected into the day files.
    public func flush() throws {
        let days = pending.withLock { days in
            defer { days = [:] }
            return days
        }
        guard !days.isEmpty else { return }
        do {
            try FileSystem.makeDirectory(directory)
            for (name, collected) in days {
                var merged = try load(day: name) ?? TLSReportDay(day: name)
                merged.merge(collected)
                try write(merged)
            }
        } catch {
            // Kept for the next flush rather than lost.
            pending.withLock { current in
                for (name, collected) in days { current[name, default: TLSReportDay(day: name)].merge(collected) }
            }
            throw error
        }
    }

    /// The days on disk before `today`, oldest first: complete, ready to be reported.
    public func completeDays(before today: Date) throws -> [String] {
        let current = Self.day(of: today)
        guard (try? FileSystem.fileStatus(directory)) != nil else { return [] }
        return try FileSystem.listDirectory(directory)
            .filter { $0.hasSuffix(".json") }
            .map { String($0.dropLast(5)) }
            .filter { $0 < current }
            .sorted()
    }

    public func load(day: String) throws -> TLSReportDay? {
        let path = self.path(day)
        guard (try FileSystem.fileStatus(path)) != nil else { return nil }
        do {
            return try JSONDecoder().decode(TLSReportDay.self, from: Data(try FileSystem.readFile(path).bytes))
        } catch let error as DeliveryError {
            throw error
        } catch {
            throw DeliveryError.corruptStateFile(path: path, reason: "\(error)")
        }
    }

    /// Removes a day's file once its reports are queued.
    public func remove(day: String) throws {
        if try FileSystem.unlink(path(day)) { try FileSystem.fsyncDirectory(directory) }
    }

    private func write(_ day: TLSReportDay) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.replaceDurably(path(day.day), with: try encoder.encode(day), directory: directory)
    }

    private func path(_ day: String) -> String { directory + "/" + day + ".json" }

    /// Midnight UTC starting `day` ("2026-12-06").
    static func start(of day: String) -> Date? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }

    /// "2026-12-06" in UTC.
    static func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}
