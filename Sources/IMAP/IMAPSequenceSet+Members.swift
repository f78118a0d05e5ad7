extension IMAPSequenceSet {
    /// Whether `number` is in the set, where `*` means `last` (RFC 3501 §9 `seq-range`: `4:2` is `2:4`;
    /// §6.4.8: `559:*` includes the last UID even when 559 is above it). With `last == 0` (an empty
    /// mailbox) a range that uses `*` matches nothing.
    public func contains(_ number: UInt32, last: UInt32) -> Bool {
        ranges.contains { range in
            guard let bounds = range.bounds(last: last) else { return false }
            return bounds.contains(number)
        }
    }

    /// The members among 1...last, ascending, without duplicates: ranges are clipped and merged before
    /// they are expanded, so `1:*` over 100,000 messages costs one pass.
    public func members(upTo last: UInt32) -> [UInt32] {
        guard last > 0 else { return [] }
        var intervals: [ClosedRange<UInt32>] = []
        intervals.reserveCapacity(ranges.count)
        for range in ranges {
            guard let bounds = range.bounds(last: last), bounds.lowerBound <= last, bounds.upperBound >= 1 else { continue }
            intervals.append(Swift.max(1, bounds.lowerBound)...Swift.min(last, bounds.upperBound))
        }
        intervals.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for interval in intervals {
            if let previous = merged.last,
                previous.upperBound == .max || interval.lowerBound <= previous.upperBound + 1
            {
                merged[merged.count - 1] = previous.lowerBound...Swift.max(previous.upperBound, interval.upperBound)
            } else {
                merged.append(interval)
            }
        }
        var result: [UInt32] = []
        result.reserveCapacity(merged.reduce(0) { $0 + $1.count })
        for interval in merged { result.append(contentsOf: interval) }
        return result
    }
}

extension IMAPSequenceRange {
    /// The range in ascending order with `*` replaced by `last`; nil when it uses `*` and `last` is 0.
    func bounds(last: UInt32) -> ClosedRange<UInt32>? {
        func value(_ n: IMAPSequenceNumber) -> UInt32? {
            switch n {
            case .number(let v): v
            case .last: last == 0 ? nil : last
            }
        }
        guard let a = value(first), let b = value(second) else { return nil }
        return Swift.min(a, b)...Swift.max(a, b)
    }
}
