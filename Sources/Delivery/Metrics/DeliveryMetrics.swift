import CoreMetrics

/// The delivery counters (`loft_messages_*_total`, `loft_striptls_alerts_total`, the queue's storage errors).
/// Every instance counts into the same series of the bootstrapped backend, so each part of delivery makes its
/// own; with no metrics backend bootstrapped they count nothing.
public struct DeliveryMetrics: Sendable {
    /// Per Maildir a message was placed in: submissions and the reports Loft writes to local senders.
    let deliveredLocally: Counter
    /// Per remote recipient the next hop accepted.
    let deliveredRemotely: Counter
    /// Per remote recipient still pending after a delivery attempt.
    let deferred: Counter
    /// Per local recipient whose mailbox was full (the sender got a report instead).
    private let bouncedLocally: Counter
    /// Per remote recipient given up on: refused permanently, expired, or returned by the admin.
    let bouncedRemotely: Counter
    let stripTLSAlerts: Counter
    /// The outbound queue could not read or update its spool.
    let queueStorageErrors: Counter

    public init() {
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: dimensions)
        }
        deliveredLocally = counter("loft_messages_delivered_total", [("destination", "local")])
        deliveredRemotely = counter("loft_messages_delivered_total", [("destination", "remote")])
        deferred = counter("loft_messages_deferred_total")
        bouncedLocally = counter("loft_messages_bounced_total", [("destination", "local")])
        bouncedRemotely = counter("loft_messages_bounced_total", [("destination", "remote")])
        stripTLSAlerts = counter("loft_striptls_alerts_total")
        queueStorageErrors = counter("loft_storage_errors_total", [("service", "queue")])
    }

    /// `count` local recipients were not given a message because their mailbox was full.
    public func mailboxesFull(_ count: Int) {
        bouncedLocally.increment(by: count)
    }

    /// What one queue attempt changed, once its results are on disk: recipients newly delivered or bounced,
    /// and those left pending.
    func attemptRecorded(before: [RemoteRecipient], after: [RemoteRecipient]) {
        var delivered = 0
        var bounced = 0
        var pending = 0
        for (old, new) in zip(before, after) where old.outcome == nil {
            switch new.outcome {
            case .delivered?: delivered += 1
            case .bounced?: bounced += 1
            case nil: pending += 1
            }
        }
        if delivered > 0 { deliveredRemotely.increment(by: delivered) }
        if bounced > 0 { bouncedRemotely.increment(by: bounced) }
        if pending > 0 { deferred.increment(by: pending) }
    }
}
