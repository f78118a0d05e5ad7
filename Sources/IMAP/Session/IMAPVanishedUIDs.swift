import MailStore

/// The UIDs a QRESYNC client may still believe in that the mailbox no longer has (RFC 7162
/// §3.2.5, §3.2.6). The mailbox's tombstones name exactly what was expunged after the client's
/// mod-sequence. When they no longer reach back that far (the oldest were dropped, or the index
/// was rebuilt), every UID of the client's range that is not in the mailbox now is reported:
/// never less than what vanished, sometimes more, which RFC 7162 §3.2.5.2 allows and Dovecot
/// does when its log no longer reaches back.
enum IMAPVanishedUIDs {
    /// As UID-set text, `nil` when there are none.
    static func text(in set: IMAPSequenceSet, _ state: MailboxState, since modSeq: UInt64) -> String? {
        guard let expunged = state.tombstones.uids(expungedAfter: modSeq) else { return missing(in: set, state) }
        let last = state.nextUID &- 1
        let inRange = expunged.filter { set.contains($0, last: last) }
        return inRange.isEmpty ? nil : IMAPUIDSet.text(inRange)
    }

    /// Every UID of `set` the mailbox lacks. UIDs above the mailbox's last assigned one never
    /// existed and are left out.
    static func missing(in set: IMAPSequenceSet, _ state: MailboxState) -> String? {
        let last = state.nextUID &- 1
        guard last > 0 else { return nil }
        var ranges: [ClosedRange<UInt32>] = set.ranges.compactMap { range in
            func value(_ bound: IMAPSequenceNumber) -> UInt32 {
                if case .number(let number) = bound { return number }
                return last
            }
            let low = max(1, min(value(range.first), value(range.second)))
            let high = min(last, max(value(range.first), value(range.second)))
            return low <= high ? low...high : nil
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges {
            if let previous = merged.last, range.lowerBound <= previous.upperBound &+ 1 {
                merged[merged.count - 1] = previous.lowerBound...max(previous.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        var parts: [String] = []
        let messages = state.messages
        for range in merged {
            var next = range.lowerBound  // the first UID of the range not yet accounted for
            var index = firstIndex(atLeast: range.lowerBound, in: messages)
            while next <= range.upperBound {
                let present = index < messages.count ? messages[index].uid : UInt32.max
                if present > range.upperBound {
                    parts.append(next == range.upperBound ? "\(next)" : "\(next):\(range.upperBound)")
                    break
                }
                if present > next { parts.append(present - 1 == next ? "\(next)" : "\(next):\(present - 1)") }
                if present == UInt32.max { break }
                next = present + 1
                index += 1
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: ",")
    }

    private static func firstIndex(atLeast uid: UInt32, in messages: [MessageRecord]) -> Int {
        var low = 0
        var high = messages.count
        while low < high {
            let middle = (low + high) / 2
            if messages[middle].uid < uid { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
