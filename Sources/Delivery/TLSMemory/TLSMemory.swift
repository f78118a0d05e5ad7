public import Foundation

/// The downgrade memory: per MX host and per recipient domain, the best TLS level seen. A level seen at
/// least twice, at least a day apart, is pinned: a later connection below it is a STRIPTLS suspect (a
/// temporary failure, never a silent downgrade). Entries expire 60 days after the last contact. Explicit
/// policy (DANE, MTA-STS, the policy table) overrides it; `loft tls-memory forget` clears an entry.
/// A value type: `TLSMemoryStore` keeps it on disk.
public struct TLSMemory: Sendable, Equatable, Codable {
    /// What was seen of one host or domain.
    public struct Entry: Sendable, Equatable, Codable {
        /// The best level seen.
        public var best: TLSSecurityLevel
        /// When `best` was seen, each at least `minimumSpacing` after the one before (the last few kept).
        public var sightings: [Date]
        public var lastContact: Date
        /// The level below `best` last reported to the postmaster, so each downgrade is told once.
        public var alerted: TLSSecurityLevel?

        public var isPinned: Bool { sightings.count >= TLSMemory.sightingsToPin }
    }

    static let sightingsToPin = 2
    /// Sightings closer than this count once.
    static let minimumSpacing: TimeInterval = 24 * 3600
    /// Entries without contact for this long are dropped.
    static let expiry: TimeInterval = 60 * 24 * 3600
    static let sightingsKept = 5

    public var hosts: [String: Entry] = [:]
    public var domains: [String: Entry] = [:]

    public init() {}

    /// Records a connection to `host` for `domain` that reached `level`. Returns whether the change is
    /// worth writing down: anything but a `lastContact` less than a day newer.
    @discardableResult
    public mutating func record(_ level: TLSSecurityLevel, host: String, domain: String, at now: Date) -> Bool {
        let (hostKey, domainKey) = (host.lowercased(), domain.lowercased())
        let before = (hosts[hostKey], domains[domainKey])
        Self.record(level, into: &hosts[hostKey], at: now)
        Self.record(level, into: &domains[domainKey], at: now)
        return Self.matters(before.0, hosts[hostKey]) || Self.matters(before.1, domains[domainKey])
    }

    private static func matters(_ old: Entry?, _ new: Entry?) -> Bool {
        guard var old, let new else { return true }
        let staleContact = new.lastContact.timeIntervalSince(old.lastContact) >= minimumSpacing
        old.lastContact = new.lastContact
        return old != new || staleContact
    }

    private static func record(_ level: TLSSecurityLevel, into entry: inout Entry?, at now: Date) {
        guard var current = entry else {
            entry = Entry(best: level, sightings: [now], lastContact: now, alerted: nil)
            return
        }
        current.lastContact = now
        if level > current.best {
            current = Entry(best: level, sightings: [now], lastContact: now, alerted: nil)
        } else if level == current.best {
            if let last = current.sightings.last, now.timeIntervalSince(last) < minimumSpacing {
                // Same day: one sighting.
            } else {
                current.sightings = Array((current.sightings + [now]).suffix(sightingsKept))
            }
            current.alerted = nil
        }
        entry = current
    }

    /// The pinned level `host` (or, if higher, `domain`) must reach, and which entry pins it.
    public func required(host: String, domain: String) -> (level: TLSSecurityLevel, pinnedBy: String)? {
        var result: (TLSSecurityLevel, String)?
        for (key, entry) in [("host " + host.lowercased(), hosts[host.lowercased()]), ("domain " + domain.lowercased(), domains[domain.lowercased()])] {
            guard let entry, entry.isPinned, entry.best > .plain else { continue }
            if result == nil || entry.best > result!.0 { result = (entry.best, key) }
        }
        return result
    }

    /// Marks a downgrade of `host` to `level` as told; returns false when it was told already.
    public mutating func markAlerted(host: String, level: TLSSecurityLevel) -> Bool {
        let key = host.lowercased()
        guard hosts[key]?.alerted != level else { return false }
        hosts[key]?.alerted = level
        return true
    }

    /// Drops entries without contact for 60 days; returns whether anything was dropped.
    @discardableResult
    public mutating func expire(at now: Date) -> Bool {
        let before = hosts.count + domains.count
        hosts = hosts.filter { now.timeIntervalSince($0.value.lastContact) < Self.expiry }
        domains = domains.filter { now.timeIntervalSince($0.value.lastContact) < Self.expiry }
        return hosts.count + domains.count != before
    }

    /// Forgets a host or a domain (whichever `name` is); returns whether there was an entry.
    public mutating func forget(_ name: String) -> Bool {
        let key = name.lowercased()
        let removed = (hosts.removeValue(forKey: key) != nil, domains.removeValue(forKey: key) != nil)
        return removed.0 || removed.1
    }
}
