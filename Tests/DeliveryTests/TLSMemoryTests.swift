@testable import Delivery
import Foundation
import TLS
import Synchronization
import Testing

@Suite("The STRIPTLS downgrade memory")
struct TLSMemoryTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func hours(_ h: Double) -> Date { t0.addingTimeInterval(h * 3600) }

    @Test("a level is pinned after two sightings at least a day apart, for the host and the domain")
    func pinning() {
        var memory = TLSMemory()
        let first = memory.record(.verified, host: "MX1.example.net", domain: "example.net", at: Self.t0)
        let sameDay = memory.record(.verified, host: "mx1.example.net", domain: "example.net", at: Self.hours(5))
        #expect(first && !sameDay, "a second sighting the same day changes nothing worth writing")
        #expect(memory.required(host: "mx1.example.net", domain: "example.net") == nil)
        let nextDay = memory.record(.verified, host: "mx1.example.net", domain: "example.net", at: Self.hours(25))
        #expect(nextDay)
        let pin = memory.required(host: "mx1.example.net", domain: "example.net")
        #expect(pin?.level == .verified && pin?.pinnedBy == "host mx1.example.net")
        // A new MX host of a pinned domain (a spoofed MX, say) inherits the domain's pin.
        let other = memory.required(host: "mx9.example.net", domain: "EXAMPLE.net")
        #expect(other?.level == .verified && other?.pinnedBy == "domain example.net")
    }

    @Test("a lower level never lowers the memory; a higher one starts counting afresh")
    func levels() {
        var memory = TLSMemory()
        memory.record(.encrypted, host: "mx", domain: "d", at: Self.t0)
        memory.record(.encrypted, host: "mx", domain: "d", at: Self.hours(30))
        #expect(memory.required(host: "mx", domain: "d")?.level == .encrypted)
        memory.record(.plain, host: "mx", domain: "d", at: Self.hours(60))
        #expect(memory.hosts["mx"]?.best == .encrypted && memory.hosts["mx"]?.isPinned == true)
        memory.record(.dane, host: "mx", domain: "d", at: Self.hours(61))
        #expect(memory.hosts["mx"]?.best == .dane && memory.hosts["mx"]?.isPinned == false)
        #expect(memory.required(host: "mx", domain: "d") == nil)
    }

    @Test("plaintext is never pinned; entries expire 60 days after the last contact; forget removes one")
    func expiryAndForget() {
        var memory = TLSMemory()
        memory.record(.plain, host: "mx", domain: "d", at: Self.t0)
        memory.record(.plain, host: "mx", domain: "d", at: Self.hours(48))
        #expect(memory.required(host: "mx", domain: "d") == nil)
        let early = memory.expire(at: Self.hours(48 + 59 * 24))
        let late = memory.expire(at: Self.hours(48 + 60 * 24))
        #expect(!early && late)
        #expect(memory.hosts.isEmpty && memory.domains.isEmpty)
        memory.record(.verified, host: "mx", domain: "d", at: Self.t0)
        let known = memory.forget("MX")
        let unknown = memory.forget("unknown")
        #expect(known && !unknown && memory.hosts.isEmpty && memory.domains["d"] != nil)
    }

    @Test("a downgrade is alerted once per host and level")
    func alertedOnce() {
        var memory = TLSMemory()
        memory.record(.verified, host: "mx", domain: "d", at: Self.t0)
        let first = memory.markAlerted(host: "mx", level: .plain)
        let again = memory.markAlerted(host: "mx", level: .plain)
        let other = memory.markAlerted(host: "mx", level: .encrypted)
        #expect(first && !again && other)
    }

    @Test("the store writes atomically and rereads a file another process changed")
    func store() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = TLSMemoryStore(directory: directory.path)
        #expect(try store.load() == TLSMemory())
        try store.updateIfNeeded { $0.record(.dane, host: "mx", domain: "d", at: Self.t0) }
        #expect(try TLSMemoryStore(directory: directory.path).load().hosts["mx"]?.best == .dane)
        let other = TLSMemoryStore(directory: directory.path)
        usleep(10_000)
        let forgotten = try other.update { $0.forget("mx") }
        #expect(forgotten)
        #expect(try store.load().hosts["mx"] == nil, "the first store sees the other's change")
        try directory.write("{not json", to: "tls-memory.json")
        #expect(throws: DeliveryError.self) { try TLSMemoryStore(directory: directory.path).load() }
    }

    @Test("concurrent changes (16 deliveries to new domains at once) all land, none fails")
    func concurrentUpdates() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = TLSMemoryStore(directory: directory.path)
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 16) { n in
            do {
                try store.updateIfNeeded { $0.record(.verified, host: "mx\(n)", domain: "d\(n)", at: Self.t0) }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        let onDisk = try TLSMemoryStore(directory: directory.path).load()
        #expect(onDisk.domains.count == 16, "no change overwrote another")
        #expect(onDisk.hosts.count == 16)
    }

    @Test("a pinned plan requires TLS, drops the plaintext retry, and rejects a handshake below the pin")
    func pinnedPlan() throws {
        let plan = try HostTLSPlan.plan(policy: .init(level: .may), domain: "d", host: "mx.d", hostIsSecure: false, tlsa: []).get()
            .pinning(.verified, by: "domain d")
        #expect(plan.mode == .required && !plan.plaintextFallback)
        func info(_ verification: TLSPeerVerification) -> TLSClientSessionInfo {
            TLSClientSessionInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", peerChain: [],
                                 verification: verification, usableTLSARecords: 0, applicationProtocol: nil)
        }
        #expect(plan.rejection(of: info(.verified(matchedName: "mx.d"))) == nil)
        let reason = plan.rejection(of: info(.failed(reason: "self-signed certificate")))
        #expect(reason?.contains("STRIPTLS") == true && reason?.contains("domain d") == true, "\(reason ?? "")")
    }

    @Test("the memory raises a plan only where no explicit policy decides: a table entry, DANE, an enforced MTA-STS policy")
    func explicitPolicyFirst() throws {
        var memory = TLSMemory()
        memory.record(.verified, host: "mx.d", domain: "d", at: Self.t0)
        memory.record(.verified, host: "mx.d", domain: "d", at: Self.hours(25))
        let may = try HostTLSPlan.plan(policy: .init(level: .may), domain: "d", host: "mx.d", hostIsSecure: false, tlsa: []).get()
        let raised = may.applying(memory, host: "mx.d", domain: "d", tableEntry: false, mtaSTS: nil)
        #expect(raised.pinned == HostTLSPlan.Pin(level: .verified, by: "host mx.d"))
        #expect(raised.policyDescription == "may, pinned verified by host mx.d")
        #expect(may.applying(TLSMemory(), host: "mx.d", domain: "d", tableEntry: false, mtaSTS: nil) == may, "nothing pinned")

        #expect(may.applying(memory, host: "mx.d", domain: "d", tableEntry: true, mtaSTS: nil) == may)
        #expect(may.explicitPolicyBeforeMemory(tableEntry: true, mtaSTS: nil) == "the policy table has an entry for the domain")
        let dane = try HostTLSPlan.plan(policy: .init(level: .may), domain: "d", host: "mx.d", hostIsSecure: true,
                                        tlsa: [OutboundPolicyTests.eeRecord]).get()
        #expect(dane.applying(memory, host: "mx.d", domain: "d", tableEntry: false, mtaSTS: nil) == dane)
        let policy = MTASTSPolicy(mode: .enforce, mx: ["mx.d"], maxAge: 86400)
        let enforce = MTASTSCachedPolicy(domain: "d", id: "1", policy: policy, fetched: Self.t0)
        #expect(may.applying(memory, host: "mx.d", domain: "d", tableEntry: false, mtaSTS: enforce) == may)
        var testing = enforce
        testing.policy.mode = .testing
        #expect(may.applying(memory, host: "mx.d", domain: "d", tableEntry: false, mtaSTS: testing).pinned != nil,
                "a policy in testing mode is no explicit policy")
    }

    @Test("what a connection shows: nothing before EHLO or after a failed handshake; plain without STARTTLS")
    func observedLevels() {
        #expect(TLSSecurityLevel.observed(reachedEHLO: false, startTLSOffered: false, handshakeFailed: false, tls: nil) == nil)
        #expect(TLSSecurityLevel.observed(reachedEHLO: true, startTLSOffered: true, handshakeFailed: true, tls: nil) == nil)
        #expect(TLSSecurityLevel.observed(reachedEHLO: true, startTLSOffered: false, handshakeFailed: false, tls: nil) == .plain)
        let session = TLSClientSessionInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", peerChain: [],
                                           verification: .verified(matchedName: "mx.d"), usableTLSARecords: 0,
                                           applicationProtocol: nil)
        #expect(TLSSecurityLevel.observed(reachedEHLO: true, startTLSOffered: true, handshakeFailed: false, tls: session) == .verified)
    }
}
