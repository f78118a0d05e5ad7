import Foundation
import Logging
import NIOCore

extension OutboundQueue {
    /// Works on entry `id` once: bounces it if asked or expired, else tries every pending recipient, then
    /// writes the results (and any reports) durably. Returns when it is next due and its envelope stamp, or
    /// nil when the entry is gone.
    func deliverEntry(id: String) async -> (next: Date, stamp: Double)? {
        let spool = self.spool
        let lock: SpoolEntryLock
        do {
            guard let taken = try await threadPool.runIfActive({ try spool.lock(id: id, wait: false) }) else {
                // Held by `loft queue`, or gone: the next scan tells which.
                return (clock().addingTimeInterval(RetrySchedule.seconds(settings.scanInterval)), 0)
            }
            lock = taken
        } catch {
            logger.error("cannot open queue entry", metadata: ["id": "\(id)", "error": "\(error)"])
            metrics.queueStorageErrors.increment()
            return (clock().addingTimeInterval(RetrySchedule.seconds(settings.maxRetryIntervalOrScan)), 0)
        }
        defer { lock.release() }
        var envelope = lock.entry.envelope
        let now = clock()
        let before = envelope.recipients

        if envelope.bounceRequested {
            bouncePending(&envelope, status: "5.0.0", diagnostic: "X-Loft; returned to the sender by the administrator", at: now)
        } else if now >= settings.schedule.expiry(arrival: envelope.arrival) {
            expirePending(&envelope, at: now)
        } else if let unsigned = await signIfNeeded(&envelope, messagePath: lock.entry.messagePath) {
            deferPending(&envelope, reason: unsigned, at: now)
        } else {
            await deliverPending(&envelope, messagePath: lock.entry.messagePath)
        }

        let finished = clock()
        let pending = envelope.pendingRecipients
        if !pending.isEmpty {
            envelope.attempts += 1
            envelope.nextAttempt = finished.addingTimeInterval(settings.schedule.delay(afterAttempts: envelope.attempts))
        }
        do {
            let reportsSent = try await sendReports(
                for: &envelope, previously: before, messagePath: lock.entry.messagePath, at: finished)
            if pending.isEmpty {
                try await threadPool.runIfActive { try spool.remove(id: id) }
                metrics.attemptRecorded(before: before, after: envelope.recipients)
                logger.info("queue entry done", metadata: ["id": "\(id)", "reports": "\(reportsSent)"])
                return nil
            }
            let updated = envelope
            let stamp = try await threadPool.runIfActive { try spool.update(updated) }
            metrics.attemptRecorded(before: before, after: envelope.recipients)
            logger.info("queue entry deferred", metadata: [
                "id": "\(id)", "pending": "\(pending.count)", "attempts": "\(envelope.attempts)",
                "next_attempt": "\(envelope.nextAttempt.map { ISO8601DateFormatter().string(from: $0) } ?? "-")",
            ])
            return (envelope.nextAttempt ?? finished, stamp)
        } catch {
            // Nothing recorded: the attempt is repeated later (deliveries may be repeated, never lost).
            logger.error("cannot record delivery results", metadata: ["id": "\(id)", "error": "\(error)"])
            metrics.queueStorageErrors.increment()
            return (finished.addingTimeInterval(settings.schedule.delay(afterAttempts: max(envelope.attempts, 1))), 0)
        }
    }

    func bouncePending(_ envelope: inout SpoolEnvelope, status: String, diagnostic: String, at now: Date) {
        for (index, _) in envelope.pendingRecipients {
            envelope.recipients[index].outcome = .bounced(RecipientFailure(at: now, status: status, diagnostic: diagnostic))
        }
    }

    /// The queue lifetime is over: each pending recipient fails with its last temporary error (RFC 3463
    /// 4.4.7 when there was none), reported as failed (RFC 3464 §2.3.3).
    func expirePending(_ envelope: inout SpoolEnvelope, at now: Date) {
        for (index, recipient) in envelope.pendingRecipients {
            let last = recipient.lastFailure
            let diagnostic = last.map { "\($0.diagnostic) (gave up after \(Self.describe(self.settings.schedule.lifetime)))" }
                ?? "X-Loft; delivery time expired"
            envelope.recipients[index].outcome = .bounced(RecipientFailure(
                at: now, status: last.map { Self.permanent($0.status) } ?? "4.4.7", diagnostic: diagnostic,
                remoteMTA: last?.remoteMTA))
        }
    }

    /// Delivers the pending recipients, one destination domain at a time in parallel.
    func deliverPending(_ envelope: inout SpoolEnvelope, messagePath: String) async {
        let byDomain = Dictionary(grouping: envelope.pendingRecipients, by: { $0.recipient.domain })
        let size = ((try? FileManager.default.attributesOfItem(atPath: messagePath)[.size] as? Int) ?? 0)
            + (envelope.dkimSignature?.utf8.count ?? 0)
        let snapshot = envelope
        // RFC 8689 §4.2.1: "TLS-Required: No" counts only without REQUIRETLS.
        var saysNo = false
        if !envelope.requireTLS,
           let original = try? await threadPool.runIfActive({ try OriginalMessage.read(path: messagePath, bodyLimit: 0, headerLimit: 64 * 1024) }) {
            saysNo = TLSRequiredField.saysNo(in: original.header)
        }
        let tlsRequiredNo = saysNo
        let results = await withTaskGroup(of: [(Int, RecipientResult, String?, Bool)].self) { group in
            for (domain, members) in byDomain {
                group.addTask {
                    await self.deliver(
                        domain: domain, recipients: members, of: snapshot, size: size, messagePath: messagePath,
                        tlsRequiredNo: tlsRequiredNo)
                }
            }
            var all: [(Int, RecipientResult, String?, Bool)] = []
            for await part in group { all += part }
            return all
        }
        let now = clock()
        for (index, result, remote, remoteSupportsDSN) in results {
            switch result {
            case .delivered(let reply):
                envelope.recipients[index].outcome = .delivered(RecipientDelivery(
                    at: now, remoteMTA: remote ?? "", reply: reply.text, remoteSupportsDSN: remoteSupportsDSN))
            case .failed(let detail):
                envelope.recipients[index].outcome = .bounced(RecipientFailure(
                    at: now, status: detail.status, diagnostic: detail.diagnostic, remoteMTA: detail.remoteHost))
            case .deferred(let detail):
                envelope.recipients[index].lastFailure = RecipientFailure(
                    at: now, status: detail.status, diagnostic: detail.diagnostic, remoteMTA: detail.remoteHost)
            }
        }
    }

    /// "5.x.y" for a status that may be "4.x.y": what a temporary failure becomes once given up.
    static func permanent(_ status: String) -> String {
        status.hasPrefix("4.") ? "5." + status.dropFirst(2) : status
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = Int(RetrySchedule.seconds(duration))
        if seconds % 86400 == 0 { return "\(seconds / 86400) days" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) hours" }
        return "\(seconds) seconds"
    }
}

extension OutboundQueueSettings {
    var maxRetryIntervalOrScan: Duration { max(schedule.first, scanInterval) }
}
