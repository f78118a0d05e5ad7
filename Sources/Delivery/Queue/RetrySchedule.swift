public import Foundation

/// When the queue tries a message again: `first` after the first temporary failure, doubling after each
/// further one up to `maximum` (5 minutes to about an hour by default; RFC 5321 §4.5.4.1), until `lifetime`
/// after arrival, when what is left is bounced.
public struct RetrySchedule: Sendable, Equatable {
    public var first: Duration
    public var maximum: Duration
    public var lifetime: Duration

    public init(first: Duration, maximum: Duration, lifetime: Duration) {
        self.first = first
        self.maximum = maximum
        self.lifetime = lifetime
    }

    /// The wait after the `attempts`-th failed attempt (1 for the first).
    public func delay(afterAttempts attempts: Int) -> TimeInterval {
        let first = Self.seconds(first)
        let doublings = min(max(attempts - 1, 0), 30)
        return min(first * pow(2, Double(doublings)), Self.seconds(maximum))
    }

    /// The time after which a message that arrived at `arrival` is given up.
    public func expiry(arrival: Date) -> Date {
        arrival.addingTimeInterval(Self.seconds(lifetime))
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
