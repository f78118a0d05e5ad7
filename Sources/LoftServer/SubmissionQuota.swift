import Delivery
import Foundation
import Logging
import MailStore
import SMTP
import Synchronization

/// A local recipient of a submitted message whose mailbox has a quota.
struct QuotaBoundRecipient: Sendable {
    var address: String
    /// The user's INBOX Maildir: the quota root.
    var maildirPath: String
    var limits: QuotaLimits
    var notify: [DSNNotify]?
    var originalRecipient: String?

    /// Whether a message of `size` bytes no longer fits. A quota file that cannot be read lets the
    /// message in (logged): a broken count must not lose mail.
    func isFull(adding size: Int64, logger: Logger) -> Bool {
        do {
            try MaildirQuota(root: maildirPath, limits: limits).check(adding: QuotaUsage(storage: size, messages: 1))
            return false
        } catch is QuotaExceeded {
            return true
        } catch {
            logger.error("quota check failed", metadata: ["to": "\(address)", "error": "\(error)"])
            return false
        }
    }
}

/// What a submitted message needs for the quota of its local recipients after DATA: who has a quota, the
/// message's size and header (for the report to the sender of a recipient whose mailbox was full).
///
/// After DATA, SMTP has one reply for all recipients (RFC 5321 §4.2.5 has no per-recipient outcome,
/// unlike LMTP). So a message that fits no local mailbox, with no remote recipient either, is refused
/// with `552 5.2.2` and nothing is stored; otherwise it is stored for everyone it fits, and each full
/// mailbox's recipient is reported to the sender in a DSN (RFC 3464, status 5.2.2), as Postfix does
/// for a hard limit.
final class SubmissionQuotaCheck: Sendable {
    private let recipients: [QuotaBoundRecipient]
    private let allLocalMaildirs: Set<String>
    private let hasRemoteRecipients: Bool
    /// The bytes stored so far and the start of the message, up to the end of its header.
    private let received = Mutex<(size: Int64, header: [UInt8], headerComplete: Bool)>((0, [], false))
    /// The most of the header kept for the report.
    private static let headerLimit = 64 * 1024

    init(recipients: [QuotaBoundRecipient], allLocalMaildirs: Set<String>, hasRemoteRecipients: Bool) {
        self.recipients = recipients
        self.allLocalMaildirs = allLocalMaildirs
        self.hasRemoteRecipients = hasRemoteRecipients
    }

    /// The next bytes of the message as stored.
    func wrote(_ bytes: some Collection<UInt8>) {
        received.withLock { received in
            received.size += Int64(bytes.count)
            guard !received.headerComplete else { return }
            let scanFrom = max(0, received.header.count - 3)
            received.header.append(contentsOf: bytes.prefix(Self.headerLimit - received.header.count))
            if let end = Self.headerEnd(received.header, from: scanFrom) {
                received.header.removeSubrange(end...)
                received.headerComplete = true
            } else if received.header.count >= Self.headerLimit {
                received.headerComplete = true
            }
        }
    }

    /// The recipients whose mailbox cannot take the message now.
    /// - Throws: `SMTPStorageRefusal` (`552 5.2.2`) when it fits nowhere.
    func fullRecipients(logger: Logger) throws -> [QuotaBoundRecipient] {
        let size = received.withLock { $0.size }
        let full = recipients.filter { $0.isFull(adding: size, logger: logger) }
        guard !full.isEmpty else { return [] }
        let fullMaildirs = Set(full.map(\.maildirPath))
        if !hasRemoteRecipients && allLocalMaildirs.isSubset(of: fullMaildirs) {
            let addresses = full.map { "<\($0.address)>" }.joined(separator: ", ")
            throw SMTPStorageRefusal(SMTPReply(552, "5.2.2 Mailbox full: \(addresses)"))
        }
        return full
    }

    /// The DSN for the recipients whose mailbox was full, or nil when none of them asked for one.
    func report(full: [QuotaBoundRecipient], envelope: SMTPEnvelope, hostname: String, queueID: String) -> [UInt8]? {
        let reports = full.filter { DSNPolicy.shouldReport(action: .failed, notify: $0.notify) }.map {
            DSNRecipientReport(
                finalRecipient: $0.address, originalRecipient: $0.originalRecipient, action: .failed, status: "5.2.2",
                diagnostic: "smtp; 552 5.2.2 Mailbox full", lastAttempt: Date())
        }
        guard !reports.isEmpty else { return nil }
        let notification = DeliveryStatusNotification(
            reportingMTA: hostname, postmaster: "MAILER-DAEMON@\(hostname)", recipientOfReport: envelope.sender,
            originalEnvelopeID: envelope.envelopeID, arrivalDate: envelope.receivedAt, recipients: reports,
            returnContent: .headers, now: Date(), messageID: "<\(queueID).quota@\(hostname)>")
        return notification.render(originalHeader: received.withLock { $0.header }, originalBody: nil)
    }

    /// The offset after the blank line that ends the header, if it was seen.
    private static func headerEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index + 4 }
            index += 1
        }
        return nil
    }
}
