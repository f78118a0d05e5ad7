import Auth
import Testing

@Suite struct FailurePenaltyTests {
    @Test func delayGrowsAndIsCapped() {
        let penalty = FailurePenalty()
        let now = ContinuousClock.now
        #expect(penalty.delay(for: "192.0.2.1", now: now) == .zero)
        var delays: [Duration] = []
        for _ in 0..<5 {
            penalty.recordFailure(ip: "192.0.2.1", now: now)
            delays.append(penalty.delay(for: "192.0.2.1", now: now))
        }
        #expect(delays == [.seconds(2), .seconds(4), .seconds(8), .seconds(15), .seconds(15)])
    }

    @Test func delayCountsFromTheLastFailure() {
        let penalty = FailurePenalty()
        let start = ContinuousClock.now
        penalty.recordFailure(ip: "192.0.2.1", now: start)
        penalty.recordFailure(ip: "192.0.2.1", now: start)
        #expect(penalty.delay(for: "192.0.2.1", now: start + .seconds(1)) == .seconds(3))
        #expect(penalty.delay(for: "192.0.2.1", now: start + .seconds(10)) == .zero)
    }

    @Test func successResetsAndOtherIPsAreUnaffected() {
        let penalty = FailurePenalty()
        let now = ContinuousClock.now
        penalty.recordFailure(ip: "192.0.2.1", now: now)
        penalty.recordFailure(ip: "192.0.2.1", now: now)
        #expect(penalty.delay(for: "2001:db8::1", now: now) == .zero)
        penalty.recordSuccess(ip: "192.0.2.1")
        #expect(penalty.delay(for: "192.0.2.1", now: now) == .zero)
        penalty.recordFailure(ip: "192.0.2.1", now: now)
        #expect(penalty.delay(for: "192.0.2.1", now: now) == .seconds(2), "growth starts over after success")
    }

    @Test func configurableDelaysAndExpiry() {
        let penalty = FailurePenalty(initialDelay: .milliseconds(500), maximumDelay: .seconds(3))
        #expect(penalty.expiry == .seconds(12))
        let start = ContinuousClock.now
        for _ in 0..<4 { penalty.recordFailure(ip: "198.51.100.7", now: start) }
        #expect(penalty.delay(for: "198.51.100.7", now: start) == .seconds(3))
        // Forgotten after the expiry: the next failure starts from the initial delay again.
        let later = start + .seconds(12)
        #expect(penalty.delay(for: "198.51.100.7", now: later) == .zero)
        penalty.recordFailure(ip: "198.51.100.7", now: later)
        #expect(penalty.delay(for: "198.51.100.7", now: later) == .milliseconds(500))
    }

    @Test func expiredEntriesAreDroppedFromTheTable() {
        let penalty = FailurePenalty()
        let start = ContinuousClock.now
        for index in 0..<50 { penalty.recordFailure(ip: "10.0.0.\(index)", now: start) }
        #expect(penalty.count == 50)
        penalty.recordFailure(ip: "10.0.1.1", now: start + .seconds(61))
        #expect(penalty.count == 1)
    }

    @Test func tableIsBoundedEvictingOldest() {
        let penalty = FailurePenalty(maximumEntries: 3)
        let start = ContinuousClock.now
        for index in 0..<3 { penalty.recordFailure(ip: "ip\(index)", now: start + .milliseconds(index)) }
        penalty.recordFailure(ip: "ip0", now: start + .milliseconds(10)) // ip0 is now the newest
        penalty.recordFailure(ip: "ip3", now: start + .milliseconds(11))
        #expect(penalty.count == 3)
        let now = start + .milliseconds(11)
        #expect(penalty.delay(for: "ip1", now: now) == .zero, "oldest evicted")
        #expect(penalty.delay(for: "ip0", now: now) > .zero)
        #expect(penalty.delay(for: "ip2", now: now) > .zero)
        #expect(penalty.delay(for: "ip3", now: now) > .zero)
        for index in 4..<1000 { penalty.recordFailure(ip: "ip\(index)", now: now) }
        #expect(penalty.count == 3)
    }
}
