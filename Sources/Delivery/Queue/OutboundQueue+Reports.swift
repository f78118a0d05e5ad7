import Foundation
import Glibc
import Logging

extension OutboundQueue {
    /// Writes the reports this attempt calls for (RFC 3461 §4.1, RFC 3464) before its results are recorded:
    /// failures of recipients bounced now, "relayed" notices for NOTIFY=SUCCESS recipients handed to a next
    /// hop without DSN support, and one delay notice once `delayNoticeAfter` has passed. Nothing goes to
    /// the null reverse-path (RFC 5321 §4.5.5). Returns how many reports were sent.
    func sendReports(
        for envelope: inout SpoolEnvelope, previously: [RemoteRecipient], messagePath: String, at now: Date
    ) async throws -> Int {
        guard !envelope.sender.isEmpty else { return 0 }
        var failed: [DSNRecipientReport] = []
        var relayed: [DSNRecipientReport] = []
        for (index, recipient) in envelope.recipients.enumerated() where previously[index].outcome == nil {
            switch recipient.outcome {
            case .bounced(let failure)?:
                if DSNPolicy.shouldReport(action: .failed, notify: recipient.notify) {
                    failed.append(report(recipient, action: .failed, status: failure.status, remoteMTA: failure.remoteMTA,
                                         diagnostic: failure.diagnostic, lastAttempt: failure.at, retryUntil: nil))
                }
            case .delivered(let delivery)?:
                if !delivery.remoteSupportsDSN, DSNPolicy.shouldReport(action: .relayed, notify: recipient.notify) {
                    relayed.append(report(recipient, action: .relayed, status: "2.0.0", remoteMTA: delivery.remoteMTA,
                                          diagnostic: "smtp; \(delivery.reply)", lastAttempt: delivery.at, retryUntil: nil))
                }
            case nil:
                break
            }
        }
        var delayed: [DSNRecipientReport] = []
        if let after = settings.delayNoticeAfter, !envelope.delayNoticeSent,
           now.timeIntervalSince(envelope.arrival) >= RetrySchedule.seconds(after) {
            let until = settings.schedule.expiry(arrival: envelope.arrival)
            for (_, recipient) in envelope.pendingRecipients where DSNPolicy.shouldReport(action: .delayed, notify: recipient.notify) {
                let last = recipient.lastFailure
                delayed.append(report(recipient, action: .delayed, status: last?.status ?? "4.0.0", remoteMTA: last?.remoteMTA,
                                      diagnostic: last?.diagnostic, lastAttempt: last?.at, retryUntil: until))
            }
            envelope.delayNoticeSent = true
        }
        var sent = 0
        for recipients in [failed, relayed, delayed] where !recipients.isEmpty {
            let notification = DeliveryStatusNotification(
                reportingMTA: settings.hostname, postmaster: "MAILER-DAEMON@\(settings.hostname)",
                recipientOfReport: envelope.sender, originalEnvelopeID: envelope.envid, arrivalDate: envelope.arrival,
                // RFC 8689 §5: a REQUIRETLS message is returned as its header only.
                recipients: recipients, returnContent: envelope.requireTLS ? .headers : envelope.ret ?? .headers, now: now,
                messageID: "<\(envelope.id).\(Int(now.timeIntervalSince1970)).\(sent)@\(settings.hostname)>")
            let full = envelope.ret == .full && !envelope.requireTLS
            let (sink, sender, limit) = (reports, envelope.sender, settings.maximumReturnedBytes)
            try await threadPool.runIfActive {
                let original = try OriginalMessage.read(path: messagePath, bodyLimit: full ? limit : 0)
                let bytes = notification.render(
                    originalHeader: original.header, originalBody: original.body, maximumReturnedBytes: limit)
                try sink.deliverReport(bytes, to: sender)
            }
            sent += 1
            logger.info("report sent", metadata: [
                "id": "\(envelope.id)", "to": "\(envelope.sender)", "action": "\(recipients[0].action)",
                "recipients": "\(recipients.map(\.finalRecipient).joined(separator: ","))",
            ])
        }
        return sent
    }

    private func report(
        _ recipient: RemoteRecipient, action: DSNAction, status: String, remoteMTA: String?, diagnostic: String?,
        lastAttempt: Date?, retryUntil: Date?
    ) -> DSNRecipientReport {
        DSNRecipientReport(
            finalRecipient: recipient.address, originalRecipient: recipient.orcpt, action: action, status: status,
            remoteMTA: remoteMTA, diagnostic: diagnostic, lastAttempt: lastAttempt, willRetryUntil: retryUntil)
    }
}

/// The header of a queued message, and its body when it is small enough to return whole.
struct OriginalMessage {
    var header: [UInt8]
    var body: [UInt8]?

    /// Reads the file at `path`: the header up to the first empty line (at most `headerLimit` bytes), and
    /// the body when the whole file is at most `bodyLimit` bytes.
    static func read(path: String, bodyLimit: Int, headerLimit: Int = 1 << 20) throws -> OriginalMessage {
        let fd = try FileSystem.open(path, O_RDONLY | O_CLOEXEC)
        defer { FileSystem.close(fd) }
        var data = [UInt8](repeating: 0, count: max(bodyLimit, headerLimit) + 1)
        var filled = 0
        while filled < data.count {
            let count = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw FileSystem.error("read", path) }
            if count == 0 { break }
            filled += count
        }
        let whole = filled < data.count
        data.removeSubrange(filled...)
        let end = headerEnd(data)
        let body = whole && data.count <= bodyLimit ? Array(data[end...]) : nil
        return OriginalMessage(header: Array(data[..<end]), body: body)
    }

    /// The offset just after the blank line that ends the header (CRLF CRLF or LF LF), or the end.
    private static func headerEnd(_ data: [UInt8]) -> Int {
        var index = 0
        var lineStart = true
        while index < data.count {
            let byte = data[index]
            if lineStart {
                if byte == UInt8(ascii: "\n") { return index + 1 }
                if byte == UInt8(ascii: "\r"), index + 1 < data.count, data[index + 1] == UInt8(ascii: "\n") { return index + 2 }
            }
            lineStart = byte == UInt8(ascii: "\n")
            index += 1
        }
        return data.count
    }
}
