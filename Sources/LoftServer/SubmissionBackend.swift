import Auth
import Delivery
import Logging
import NIOCore
import SMTP
import Synchronization

/// SMTP submission's view of the server: `Auth` for logins, the aliases file for who may send
/// as whom, and `Delivery` for durable fan-out to local Maildirs and the outbound spool.
final class SubmissionBackend: SMTPBackend {
    private let authenticator: Authenticator
    private let users: PasswdFileUserDatabase
    private let penalty: FailurePenalty
    private let aliases: AliasTable?
    private let delivery: SubmissionDelivery
    private let localDomains: Set<String>
    private let logger: Logger
    /// Tells open mailboxes (IMAP live sync) that a Maildir got mail.
    private let mailboxChanged: @Sendable (String) -> Void
    /// Tells the outbound queue that an entry was spooled, by its id (set once the queue exists).
    let spooled = Mutex<(@Sendable (String) -> Void)?>(nil)

    init(
        authenticator: Authenticator, users: PasswdFileUserDatabase, penalty: FailurePenalty,
        aliases: AliasTable?, delivery: SubmissionDelivery, localDomains: [String], logger: Logger,
        mailboxChanged: @escaping @Sendable (String) -> Void
    ) {
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
    /// A "no" is only final when the aliases and passwd files on disk are the versions loaded: while one
    /// cannot be (re)loaded (gone for a moment, unreadable, broken), an alias added to it is unknown, so
    /// the answer is a temporary failure the client retries.
    func checkSender(_ address: String, login: String) -> SMTPSenderCheck {
        if users.lookup(address)?.login == login { return .allowed }
        let sender = Address(address)
        if aliases?.aliases(of: login).contains(where: { Address($0) == sender }) == true { return .allowed }
        let problem: (any Error)? = aliases?.lastReloadError ?? users.lastReloadError
        if let problem {
            logger.warning("sender check undecided", metadata: ["from": "\(address)", "problem": "\(problem)"])
            return .unavailable("the address list cannot be read, try again later")
        }
        return .refused
    }

    func checkRecipient(_ address: String) -> SMTPRecipientCheck {
        let recipient = Address(address)
        guard localDomains.contains(recipient.domain) else { return .remote }
        return localUsers(for: address).isEmpty ? .unknownLocal : .local
    }

    func beginMessage(_ envelope: SMTPEnvelope) throws -> any SMTPMessageWriter {
        var local: [LocalRecipient] = []
        var remote: [RemoteRecipient] = []
        for recipient in envelope.recipients {
            if localDomains.contains(Address(recipient.address).domain) {
                for user in localUsers(for: recipient.address) {
                    local.append(try delivery.localRecipient(recipient.address, user: user.login, home: user.home))
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
        return DeliveryWriter(
            transaction: transaction, sessionQueueID: envelope.queueID, logger: logger,
            maildirs: local.map(\.maildirPath), mailboxChanged: mailboxChanged, spooled: spooled)
    }

    /// The users a local address reaches: the user itself, or an alias's members.
    private func localUsers(for address: String) -> [UserRecord] {
        if let user = users.lookup(address) { return [user] }
        guard let members = aliases?.expand(address) else { return [] }
        return members.compactMap { users.lookup($0) }
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
            for user in localUsers(for: recipient) {
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

/// One message on its way into Maildirs and the spool.
private final class DeliveryWriter: SMTPMessageWriter {
    private let transaction: DeliveryTransaction
    private let sessionQueueID: String
    private let logger: Logger
    private let maildirs: [String]
    private let mailboxChanged: @Sendable (String) -> Void
    private let spooled: (@Sendable (String) -> Void)?

    init(transaction: DeliveryTransaction, sessionQueueID: String, logger: Logger, maildirs: [String],
         mailboxChanged: @escaping @Sendable (String) -> Void, spooled: (@Sendable (String) -> Void)?) {
        self.spooled = spooled
        self.transaction = transaction
        self.sessionQueueID = sessionQueueID
        self.logger = logger
        self.maildirs = maildirs
        self.mailboxChanged = mailboxChanged
    }

    func write(_ bytes: ByteBuffer) throws {
        try transaction.write(bytes.readableBytesView)
    }

    func commit() throws {
        let spoolID = try transaction.commit()
        logger.debug("stored", metadata: ["id": "\(sessionQueueID)", "spool_id": "\(spoolID)"])
        for maildir in maildirs { mailboxChanged(maildir) }  // IDLE sessions hear of it at once
        spooled?(spoolID)
    }

    func abort() {
        transaction.abort()
    }
}
