import Auth
import Delivery
import Config
import Logging
import MailStore
import Metrics
import NIOCore
import SMTP
import Synchronization

/// SMTP submission's view of the server: `Auth` for logins, the aliases file for who may send
/// as whom, and `Delivery` for durable fan-out to local Maildirs and the outbound spool.
final class SubmissionBackend: SMTPBackend {
    private let authenticator: Authenticator
    private let users: any UserDatabase
    private let penalty: FailurePenalty
    private let aliases: AliasTable?
    private let delivery: SubmissionDelivery
    private let localDomains: Set<String>
    private let logger: Logger
    /// The `[quota]` defaults (each user's passwd-file fields override them) and the name reports come from.
    private let quota: QuotaSettings
    private let hostname: String
    /// Tells open mailboxes (IMAP live sync) that a Maildir got mail.
    private let mailboxChanged: @Sendable (String) -> Void
    /// Tells the outbound queue that an entry was spooled, by its id (set once the queue exists).
    let spooled = Mutex<(@Sendable (String) -> Void)?>(nil)
    private let counters = SubmissionCounters()

    init(
        authenticator: Authenticator, users: any UserDatabase, penalty: FailurePenalty,
        aliases: AliasTable?, delivery: SubmissionDelivery, localDomains: [String], logger: Logger,
        quota: QuotaSettings = QuotaSettings(), hostname: String = "localhost",
        mailboxChanged: @escaping @Sendable (String) -> Void
    ) {
        self.quota = quota
        self.hostname = hostname
        self.mailboxChanged = mailboxChanged
        self.authenticator = authenticator
        self.users = users
        self.penalty = penalty
        self.aliases = aliases
        self.delivery = delivery
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.logger = logger
    }

    func authenticate(username: String, password: String, clientIP: String) -> SMTPAuthResult {
        authenticator.loginResult(username: username, password: password, clientIP: clientIP)
    }

    func failureDelay(clientIP: String) -> Duration {
        penalty.delay(for: clientIP)
    }

    /// RFC 6409 §6.1: the sender must be the user's own address or an alias that maps to it.
    /// A "no" is only final when the aliases file on disk is the version loaded and the user database
    /// answered: while either cannot be read (gone for a moment, unreadable, broken, database down), an
    /// address added to it is unknown, so the answer is a temporary failure the client retries.
    func checkSender(_ address: String, login: String) -> SMTPSenderCheck {
        let owner: Result<UserRecord?, UserDatabaseUnavailable> = Result { () throws(UserDatabaseUnavailable) in
            try users.user(address)
        }
        if case .success(let user) = owner, user?.login == login { return .allowed }
        let sender = Address(address)
        if aliases?.aliases(of: login).contains(where: { Address($0) == sender }) == true { return .allowed }
        var problem: (any Error)? = aliases?.lastReloadError
        if case .failure(let error) = owner { problem = problem ?? error }
        if let problem {
            logger.warning("sender check undecided", metadata: ["from": "\(address)", "problem": "\(problem)"])
            return .unavailable("the address list cannot be read, try again later")
        }
        return .refused
    }

    func checkRecipient(_ address: String) -> SMTPRecipientCheck {
        let recipient = Address(address)
        guard localDomains.contains(recipient.domain) else { return .remote }
        do {
            return try localUsers(for: address).isEmpty ? .unknownLocal : .local
        } catch {
            logger.error("recipient check undecided", metadata: ["to": "\(address)", "error": "\(error)"])
            return .unavailable("the user database cannot be read, try again later")
        }
    }

    /// RFC 1870 §6 / RFC 3463 §3.3: a local address whose every mailbox is over quota, or would be with the
    /// declared `SIZE`, gets `552 5.2.2` now; the other recipients of the message are not affected.
    func checkRecipient(_ address: String, declaredSize: Int?) -> SMTPRecipientCheck {
        let check = checkRecipient(address)
        guard check == .local else { return check }
        guard let mailboxes = try? localUsers(for: address) else { return check }
        let bound = mailboxes.compactMap { quotaBound(address, $0, notify: nil, orcpt: nil) }
        guard !bound.isEmpty, bound.count == mailboxes.count else { return check }
        // Without SIZE, a mailbox is full when not one more byte fits.
        let size = Int64(max(declaredSize ?? 1, 1))
        return bound.allSatisfy { $0.isFull(adding: size, logger: logger) } ? .mailboxFull : check
    }

    /// `user`'s mailbox as a quota-bound recipient of `address`, nil when no limit applies to it.
    private func quotaBound(_ address: String, _ user: UserRecord, notify: [DSNNotify]?, orcpt: String?) -> QuotaBoundRecipient? {
        let limits = UserQuota.limits(extraFields: user.extraFields, defaults: quota, login: user.login, logger: logger)
        guard !limits.isUnlimited,
              let path = try? delivery.localRecipient(address, user: user.login, home: user.home).maildirPath else { return nil }
        // An alias's member is reported under the member's own address, the alias as the original recipient.
        let member = (try? users.user(address))?.login == user.login ? nil
            : (user.login.contains("@") ? user.login : user.login + "@" + Address(address).domain)
        return QuotaBoundRecipient(address: member ?? address, maildirPath: path, limits: limits, notify: notify,
                                   originalRecipient: orcpt ?? member.map { _ in "rfc822;" + address })
    }

    func beginMessage(_ envelope: SMTPEnvelope) throws -> any SMTPMessageWriter {
        var local: [LocalRecipient] = []
        var remote: [RemoteRecipient] = []
        var bound: [QuotaBoundRecipient] = []
        for recipient in envelope.recipients {
            if localDomains.contains(Address(recipient.address).domain) {
                for user in try localUsers(for: recipient.address) {
                    local.append(try delivery.localRecipient(recipient.address, user: user.login, home: user.home))
                    let notify = recipient.notify?.compactMap { DSNNotify(rawValue: $0.uppercased()) }
                    if let entry = quotaBound(recipient.address, user, notify: notify, orcpt: recipient.originalRecipient) {
                        bound.append(entry)
                    }
                }
            } else {
                remote.append(RemoteRecipient(
                    address: recipient.address,
                    notify: recipient.notify?.compactMap { DSNNotify(rawValue: $0.uppercased()) },
                    orcpt: recipient.originalRecipient))
            }
        }
        let transaction = try delivery.begin(DeliveryEnvelope(
            sender: envelope.sender,
            localRecipients: local,
            remoteRecipients: remote,
            authenticatedUser: envelope.authenticatedUser,
            arrival: envelope.receivedAt,
            bodyType: envelope.body == .eightBitMIME ? .eightBitMIME : .sevenBit,
            smtputf8: envelope.smtpUTF8,
            ret: envelope.ret.flatMap { DSNReturn(rawValue: $0.uppercased()) },
            envid: envelope.envelopeID,
            requireTLS: envelope.requireTLS))
        let spooled = remote.isEmpty ? nil : self.spooled.withLock { $0 }
        let quotaCheck = bound.isEmpty ? nil : SubmissionQuotaCheck(
            recipients: bound, allLocalMaildirs: Set(local.map(\.maildirPath)), hasRemoteRecipients: !remote.isEmpty)
        let hostname = self.hostname
        let report: @Sendable ([QuotaBoundRecipient], SubmissionQuotaCheck, String) -> Void = { [weak self] full, check, queueID in
            guard let self, let bytes = check.report(full: full, envelope: envelope, hostname: hostname, queueID: queueID) else {
                return
            }
            do {
                try self.deliverReport(bytes, to: envelope.sender)
            } catch {
                self.logger.error("mailbox-full report not sent", metadata: ["to": "\(envelope.sender)", "error": "\(error)"])
            }
        }
        return DeliveryWriter(
            transaction: transaction, sessionQueueID: envelope.queueID, logger: logger,
            maildirs: local.map(\.maildirPath), mailboxChanged: mailboxChanged, spooled: spooled,
            quotaCheck: quotaCheck, reportFull: report, counters: counters)
    }

    /// The users a local address reaches: the user itself, or an alias's members.
    /// - Throws: `UserDatabaseUnavailable` when the user database cannot answer.
    private func localUsers(for address: String) throws(UserDatabaseUnavailable) -> [UserRecord] {
        if let user = try users.user(address) { return [user] }
        guard let members = aliases?.expand(address) else { return [] }
        var found: [UserRecord] = []
        for member in members {
            if let user = try users.user(member) { found.append(user) }
        }
        return found
    }
}

extension SubmissionBackend: DeliveryReportSink {
    /// A report from the outbound queue (bounce, delay or success notice) to the sender of a queued message:
    /// into their Maildir when they are local, else queued for them, with the null reverse-path (RFC 5321
    /// §4.5.5) so it can never cause another report. An unknown local sender is logged and the report dropped.
    func deliverReport(_ message: [UInt8], to recipient: String) throws {
        var local: [LocalRecipient] = []
        var remote: [RemoteRecipient] = []
        if localDomains.contains(Address(recipient).domain) {
            for user in try localUsers(for: recipient) {
                local.append(try delivery.localRecipient(recipient, user: user.login, home: user.home))
            }
            guard !local.isEmpty else {
                logger.warning("report dropped: no such local user", metadata: ["to": "\(recipient)"])
                return
            }
        } else {
            remote = [RemoteRecipient(address: recipient, notify: [.never])]
        }
        let transaction = try delivery.begin(DeliveryEnvelope(
            sender: "", localRecipients: local, remoteRecipients: remote, bodyType: .eightBitMIME,
            smtputf8: !recipient.allSatisfy(\.isASCII)))
        do {
            try transaction.write(message)
            _ = try transaction.commit()
        } catch {
            transaction.abort()
            throw error
        }
        for recipient in local { mailboxChanged(recipient.maildirPath) }
        if !remote.isEmpty { spooled.withLock { $0 }?(transaction.queueID) }
    }
}

/// `local@domain` with the domain lowercased (domains are case-insensitive; local parts are not).
private struct Address: Equatable {
    var localPart: Substring
    var domain: String

    init(_ text: String) {
        if let at = text.lastIndex(of: "@") {
            localPart = text[..<at]
            domain = text[text.index(after: at)...].lowercased()
        } else {
            localPart = Substring(text)
            domain = ""
        }
    }
}

/// `loft_messages_accepted_total` and the local bounces of full mailboxes.
private struct SubmissionCounters: Sendable {
    let accepted = Counter(label: "loft_messages_accepted_total")
    let delivery = DeliveryMetrics()
}

/// One message on its way into Maildirs and the spool.
private final class DeliveryWriter: SMTPMessageWriter {
    private let transaction: DeliveryTransaction
    private let sessionQueueID: String
    private let logger: Logger
    private let maildirs: [String]
    private let mailboxChanged: @Sendable (String) -> Void
    private let spooled: (@Sendable (String) -> Void)?
    private let quotaCheck: SubmissionQuotaCheck?
    private let reportFull: @Sendable ([QuotaBoundRecipient], SubmissionQuotaCheck, String) -> Void
    private let counters: SubmissionCounters

    init(transaction: DeliveryTransaction, sessionQueueID: String, logger: Logger, maildirs: [String],
         mailboxChanged: @escaping @Sendable (String) -> Void, spooled: (@Sendable (String) -> Void)?,
         quotaCheck: SubmissionQuotaCheck?,
         reportFull: @escaping @Sendable ([QuotaBoundRecipient], SubmissionQuotaCheck, String) -> Void,
         counters: SubmissionCounters) {
        self.counters = counters
        self.spooled = spooled
        self.quotaCheck = quotaCheck
        self.reportFull = reportFull
        self.transaction = transaction
        self.sessionQueueID = sessionQueueID
        self.logger = logger
        self.maildirs = maildirs
        self.mailboxChanged = mailboxChanged
    }

    func write(_ bytes: ByteBuffer) throws {
        try transaction.write(bytes.readableBytesView)
        quotaCheck?.wrote(bytes.readableBytesView)
    }

    func commit() throws {
        let full = try quotaCheck?.fullRecipients(logger: logger) ?? []
        let skipped = Set(full.map(\.maildirPath))
        let spoolID = try transaction.commit(skipping: skipped)
        counters.accepted.increment()
        logger.debug("stored", metadata: ["id": "\(sessionQueueID)", "spool_id": "\(spoolID)"])
        for maildir in maildirs where !skipped.contains(maildir) { mailboxChanged(maildir) }  // IDLE sessions hear of it at once
        spooled?(spoolID)
        if let quotaCheck, !full.isEmpty {
            logger.notice("mailbox full, reported to the sender", metadata: [
                "id": "\(sessionQueueID)", "recipients": "\(full.map(\.address).joined(separator: ","))",
            ])
            counters.delivery.mailboxesFull(full.count)
            reportFull(full, quotaCheck, spoolID)
        }
    }

    func abort() {
        transaction.abort()
    }
}
