import Auth
import Foundation
import LineProtocol
import NIOCore

/// The SMTP submission session as a state machine (RFC 5321 §4.1.4, RFC 6409, RFC 4954).
///
/// Events go in (`lineReceived`, `authenticated`, `senderChecked`, `recipientChecked`,
/// `messageFinished`, ...) and each returns the one action the channel glue must carry out.
/// The glue feeds no new line while an action that waits for a result is running, and while
/// DATA or BDAT content is being read.
public struct SMTPSession: Sendable {
    public typealias TLSMode = LineProtocol.TLSMode

    public enum Action: Equatable, Sendable {
        case none
        case reply(SMTPReply)
        /// Send these replies, then close the connection.
        case close([SMTPReply])
        /// Send the reply, drop all buffered input, start TLS (RFC 3207 §4.2).
        case startTLS(SMTPReply)
        /// Check the password off the event loop, after the failure delay; then `authenticated`.
        case authenticate(username: String, password: String)
        /// `backend.checkSender` off the event loop; then `senderChecked`.
        case checkSender(address: String, login: String)
        /// `backend.checkRecipient` off the event loop; then `recipientChecked`.
        case checkRecipient(String, declaredSize: Int? = nil)
        /// Send the `354` reply, start storing the message, and read DATA content until
        /// `CRLF.CRLF`; then `messageFinished`.
        case receiveData(SMTPEnvelope, reply: SMTPReply)
        /// Read the BDAT chunk's octets into the message; `begin` is set on the transaction's
        /// first chunk (start storing first). Then `chunkReceived` or, for the last chunk or a
        /// rejected one, finish the message and call `messageFinished`.
        case receiveChunk(size: Int, last: Bool, begin: SMTPEnvelope?)
        /// Read and throw away a BDAT chunk's octets, then send the reply (RFC 3030 §2: the
        /// octets follow the command whatever its fate).
        case discardChunk(size: Int, reply: SMTPReply)
    }

    /// How the transaction's message is being received.
    private enum Content: Sendable, Equatable {
        case none, data, chunks
    }

    private struct Transaction: Sendable {
        var mail: SMTPMailFrom
        var recipients: [SMTPRecipient] = []
        var content = Content.none
        var queueID = SMTPTraceHeaders.newQueueID()
    }

    private enum State: Sendable {
        /// No mail transaction.
        case idle
        case sasl(SASLExchange)
        case authenticating
        case checkingSender(SMTPMailFrom)
        case transaction(Transaction)
        case checkingRecipient(Transaction, SMTPRecipient)
        /// DATA content or BDAT chunks are arriving.
        case receiving(Transaction)
        /// The message is complete; the glue is committing (or aborting) it.
        case finishing(Transaction)
        case closed
    }

    public let configuration: SMTPServerConfiguration
    private var state = State.idle
    /// The EHLO/HELO argument; nil until the client greets (again, after STARTTLS).
    public private(set) var heloName: String?
    private var esmtp = false
    public private(set) var tlsActive: Bool
    public private(set) var tlsInfo: TLSSessionInfo?
    /// The canonical login once AUTH succeeded.
    public private(set) var login: String?
    /// The client's address, for the envelope and `Received:`.
    public var clientIP = "unknown"
    private var authFailures = 0
    private var shutdownPending = false

    public init(configuration: SMTPServerConfiguration) {
        self.configuration = configuration
        self.tlsActive = configuration.tlsMode == .implicit
    }

    private var limits: SMTPLimits { configuration.limits }
    private var hostname: String { configuration.hostname }

    /// RFC 5321 §4.3.1.
    public var greeting: SMTPReply { SMTPReply(220, "\(hostname) ESMTP Loft") }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// True while a finished message is being committed: a shutdown waits for its reply.
    public var isFinishingMessage: Bool {
        if case .finishing = state { return true }
        return false
    }

    /// True while a message is open in storage: DATA or BDAT content is arriving or being
    /// committed, or a BDAT transfer awaits its next chunk. When this turns false without a
    /// `messageFinished` (RSET, EHLO, shutdown), the glue aborts the message.
    public var hasOpenMessage: Bool {
        switch state {
        case .receiving, .finishing: true
        case .transaction(let transaction): transaction.content != .none
        default: false
        }
    }

    private var authAllowed: Bool { tlsActive || configuration.allowPlaintextAuth }
    private var canStartTLS: Bool { configuration.tlsMode == .startTLS && !tlsActive }

    // MARK: - Events

    public mutating func lineReceived(_ line: ByteBuffer) -> Action {
        if case .sasl(var exchange) = state {
            let step = exchange.receive(String(decoding: line.readableBytesView, as: UTF8.self))
            return saslStepped(step, exchange: exchange)
        }
        let command: SMTPCommand
        do {
            command = try SMTPParser.parseCommand(line)
        } catch {
            // A BDAT we cannot parse has no size to skip: its octets will be read as commands.
            return .reply(error.reply)
        }
        return commandReceived(command)
    }

    public mutating func lineTooLong() -> Action {
        if case .sasl = state {
            state = .idle
            return .reply(SMTPReply(500, "5.5.6 Authentication exchange line is too long"))
        }
        return .reply(SMTPReply(500, "5.5.2 Line too long (limit \(limits.maxCommandLineLength) octets)"))
    }

    /// The glue held more pipelined input than allowed while a command was being served.
    public mutating func tooMuchPipelinedInput() -> Action {
        state = .closed
        return .close([SMTPReply(421, "4.7.0 \(hostname) Too much pipelined input, closing")])
    }

    /// A TLS handshake finished. After STARTTLS everything learned before is forgotten and
    /// the client must EHLO again (RFC 3207 §4.2).
    public mutating func tlsEstablished(_ info: TLSSessionInfo) {
        tlsInfo = info
        guard configuration.tlsMode == .startTLS else { return }
        tlsActive = true
        heloName = nil
        esmtp = false
        if !isClosed { state = .idle }
    }

    public mutating func authenticated(_ result: SMTPAuthResult) -> Action {
        guard case .authenticating = state else { return .none }
        state = .idle
        switch result {
        case .success(let login):
            self.login = login
            return .reply(SMTPReply(235, "2.7.0 Authentication successful"))
        case .failure:
            authFailures += 1
            if authFailures >= limits.maxAuthFailures {
                state = .closed
                return .close([SMTPReply(421, "4.7.0 \(hostname) Too many authentication failures, closing")])
            }
            return .reply(SMTPReply(535, "5.7.8 Authentication credentials invalid"))
        case .temporaryFailure:
            return .reply(SMTPReply(454, "4.7.0 Temporary authentication failure, try again later"))
        }
    }

    public mutating func senderChecked(_ result: SMTPSenderCheck) -> Action {
        guard case .checkingSender(let mail) = state else { return .none }
        switch result {
        case .allowed:
            state = .transaction(Transaction(mail: mail))
            return .reply(SMTPReply(250, "2.1.0 Ok"))
        case .refused:
            state = .idle
            return .reply(SMTPReply(553, "5.7.1 Sender address <\(mail.address)> not owned by user \(login ?? "")"))
        case .unavailable(let why):
            // RFC 5321 §4.2.2 / RFC 3463: a temporary local error; the client may try MAIL again later.
            state = .idle
            return .reply(SMTPReply(451, "4.3.0 Sender address <\(mail.address)> cannot be checked now: \(why)"))
        }
    }

    public mutating func recipientChecked(_ result: SMTPRecipientCheck) -> Action {
        guard case .checkingRecipient(var transaction, let recipient) = state else { return .none }
        defer { state = .transaction(transaction) }
        switch result {
        case .local, .remote:
            transaction.recipients.append(recipient)
            return .reply(SMTPReply(250, "2.1.5 Ok"))
        case .unknownLocal:
            return .reply(SMTPReply(550, "5.1.1 <\(recipient.address)>: Recipient address rejected: User unknown"))
        case .unavailable(let why):
            return .reply(SMTPReply(450, "4.2.1 <\(recipient.address)>: Mailbox temporarily unavailable: \(why)"))
        case .mailboxFull:
            return .reply(SMTPReply(552, "5.2.2 <\(recipient.address)>: Mailbox full"))
        }
    }

    /// A non-last BDAT chunk was read in full and nothing was wrong with it; more may follow.
    public mutating func chunkReceived(size: Int) -> Action {
        if case .receiving(let transaction) = state { state = .transaction(transaction) }
        return .reply(SMTPReply(250, "2.0.0 \(size) octets received"))
    }

    /// The end of DATA or of the BDAT transfer (or an earlier rejected chunk) was reached;
    /// the glue reports what became of the message.
    public mutating func contentEnded() {
        if case .receiving(let transaction) = state { state = .finishing(transaction) }
    }

    /// The message was committed, refused for its content, or could not be stored. The
    /// transaction ends either way (RFC 5321 §4.1.1.4).
    public mutating func messageFinished(_ outcome: SMTPMessageOutcome) -> Action {
        let transaction: Transaction
        switch state {
        case .finishing(let current), .receiving(let current): transaction = current
        default: return .none
        }
        state = .idle
        let reply: SMTPReply
        switch outcome {
        case .committed: reply = SMTPReply(250, "2.0.0 Ok: queued as \(transaction.queueID)")
        case .rejected(let why): reply = why.reply
        case .failed: reply = SMTPReply(451, "4.3.0 Error: message could not be stored, try again later")
        case .refused(let refusal): reply = refusal
        }
        if shutdownPending {
            state = .closed
            return .close([reply, shutdownReply])
        }
        return .reply(reply)
    }

    /// Content kept arriving after the message was refused for its size, past the discard cap
    /// or the discard deadline: the transaction is refused and the connection closed.
    public mutating func discardLimitReached() -> Action {
        state = .closed
        return .close([SMTPReply(552, "5.3.4 Message size exceeds fixed limit of \(limits.maxMessageSize) octets, closing")])
    }

    /// The user already has as many sessions from this address as allowed.
    public mutating func tooManySessions() -> Action {
        state = .closed
        return .close([SMTPReply(421, "4.7.0 \(hostname) Too many sessions for this user from your address, closing")])
    }

    /// The client did not authenticate within the login timeout.
    public mutating func loginTimeoutFired() -> Action {
        state = .closed
        return .close([SMTPReply(421, "4.4.2 \(hostname) Error: login timeout exceeded")])
    }

    public mutating func idleTimeoutFired() -> Action {
        state = .closed
        return .close([SMTPReply(421, "4.4.2 \(hostname) Error: timeout exceeded")])
    }

    /// A commit in flight finishes and gets its reply first; otherwise `421` now.
    public mutating func serverShuttingDown() -> Action {
        if isFinishingMessage {
            shutdownPending = true
            return .none
        }
        state = .closed
        return .close([shutdownReply])
    }

    public mutating func connectionClosed() {
        state = .closed
    }

    private var shutdownReply: SMTPReply { SMTPReply(421, "4.3.2 Server shutting down") }

    // MARK: - Commands

    private mutating func commandReceived(_ command: SMTPCommand) -> Action {
        switch state {
        case .idle, .transaction: break
        default: return .none  // the glue feeds no lines now
        }
        switch command {
        case .ehlo(let name), .helo(let name):
            // RFC 5321 §4.1.4: EHLO/HELO also resets any transaction.
            heloName = name
            state = .idle
            if case .ehlo = command {
                esmtp = true
                return .reply(ehloReply(name))
            }
            esmtp = false
            return .reply(SMTPReply(250, hostname))
        case .noop:
            return .reply(SMTPReply(250, "2.0.0 Ok"))
        case .rset:
            state = .idle
            return .reply(SMTPReply(250, "2.0.0 Ok"))
        case .quit:
            state = .closed
            return .close([SMTPReply(221, "2.0.0 Bye")])
        case .help:
            return .reply(SMTPReply(214, "2.0.0 Commands: EHLO HELO AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS"))
        case .vrfy:
            // RFC 5321 §3.5.3: no address is confirmed or denied to an unauthenticated prober.
            return .reply(SMTPReply(252, "2.5.0 Cannot VRFY user, but will accept message and attempt delivery"))
        case .startTLS:
            return startTLSCommand()
        case .auth(let mechanism, let initialResponse):
            return authCommand(mechanism: mechanism, initialResponse: initialResponse)
        case .mail(let mail):
            return mailCommand(mail)
        case .rcpt(let rcpt):
            return rcptCommand(rcpt)
        case .data:
            return dataCommand()
        case .bdat(let size, let last):
            return bdatCommand(size: size, last: last)
        }
    }

    private var badSequence: SMTPReply { SMTPReply(503, "5.5.1 Bad sequence of commands") }

    private var inTransaction: Bool {
        if case .transaction = state { return true }
        return false
    }

    /// RFC 1869 §4.3 keywords; STARTTLS and AUTH only where they may be used.
    private func ehloReply(_ name: String) -> SMTPReply {
        var lines = [
            "\(hostname) Hello \(name)", "PIPELINING", "SIZE \(limits.maxMessageSize)", "8BITMIME", "SMTPUTF8",
            "ENHANCEDSTATUSCODES", "CHUNKING", "DSN",
        ]
        if canStartTLS { lines.append("STARTTLS") }
        if tlsActive { lines.append("REQUIRETLS") }  // RFC 8689 §4: only over TLS
        if authAllowed && login == nil { lines.append("AUTH " + SASLMechanism.allCases.map(\.rawValue).joined(separator: " ")) }
        return SMTPReply(250, lines: lines)
    }

    /// RFC 3207 §4.
    private mutating func startTLSCommand() -> Action {
        if tlsActive { return .reply(SMTPReply(503, "5.5.1 TLS already active")) }
        guard canStartTLS else { return .reply(SMTPReply(502, "5.5.1 STARTTLS not available on this port")) }
        guard login == nil, !inTransaction else { return .reply(badSequence) }
        state = .idle
        return .startTLS(SMTPReply(220, "2.0.0 Ready to start TLS"))
    }

    /// RFC 4954 §4.
    private mutating func authCommand(mechanism: String, initialResponse: String?) -> Action {
        guard heloName != nil, esmtp else { return .reply(SMTPReply(503, "5.5.1 Send EHLO first")) }
        guard login == nil else { return .reply(SMTPReply(503, "5.5.1 Already authenticated")) }
        guard !inTransaction else { return .reply(SMTPReply(503, "5.5.1 AUTH not allowed during a mail transaction")) }
        guard authAllowed else {
            return .reply(SMTPReply(538, "5.7.11 Encryption required for requested authentication mechanism"))
        }
        guard var exchange = SASLExchange(mechanism: mechanism) else {
            return .reply(SMTPReply(504, "5.5.4 Unrecognized authentication mechanism"))
        }
        let step = exchange.start(initialResponse: initialResponse)
        return saslStepped(step, exchange: exchange)
    }

    private mutating func saslStepped(_ step: SASLStep, exchange: SASLExchange) -> Action {
        switch step {
        case .challenge(let text):
            state = .sasl(exchange)
            return .reply(SMTPReply(334, text))
        case .done(let credentials):
            state = .authenticating
            return .authenticate(username: credentials.username, password: credentials.password)
        case .cancelled:
            state = .idle
            return .reply(SMTPReply(501, "5.0.0 Authentication cancelled"))
        case .malformed(let why):
            state = .idle
            return .reply(SMTPReply(501, "5.5.2 Malformed authentication response: \(why)"))
        case .rejected:
            state = .idle
            return .reply(SMTPReply(535, "5.7.8 Authentication credentials invalid"))
        }
    }

    /// RFC 5321 §4.1.1.2 with the submission rules of RFC 6409 §4–6.
    private mutating func mailCommand(_ mail: SMTPMailFrom) -> Action {
        guard heloName != nil else { return .reply(SMTPReply(503, "5.5.1 Send EHLO first")) }
        guard !inTransaction else { return .reply(SMTPReply(503, "5.5.1 Nested MAIL command")) }
        guard let login else {
            return .reply(authAllowed
                ? SMTPReply(530, "5.7.0 Authentication required")
                : SMTPReply(530, "5.7.0 Must issue a STARTTLS command first"))
        }
        if mail.hasParameters && !esmtp { return .reply(SMTPReply(555, "5.5.4 MAIL parameters need EHLO")) }
        // RFC 8689 §4: REQUIRETLS is offered only over TLS, so it is refused without it.
        if mail.requireTLS && !tlsActive { return .reply(SMTPReply(530, "5.7.10 REQUIRETLS needs a TLS connection")) }
        if !mail.smtpUTF8 && !SMTPAddress.isASCII(mail.address) {
            return .reply(SMTPReply(553, "5.6.7 Non-ASCII sender address needs SMTPUTF8"))
        }
        // A submission server only takes mail from its users; a bounce (null sender) is never
        // something a user submits, so `<>` is refused as well.
        if mail.address.isEmpty { return .reply(SMTPReply(553, "5.7.1 Null sender not allowed for submission")) }
        if let size = mail.size, size > limits.maxMessageSize {
            return .reply(SMTPReply(552, "5.3.4 Message size exceeds fixed limit of \(limits.maxMessageSize) octets"))
        }
        state = .checkingSender(mail)
        return .checkSender(address: mail.address, login: login)
    }

    private mutating func rcptCommand(_ rcpt: SMTPRcptTo) -> Action {
        guard case .transaction(let transaction) = state else { return .reply(SMTPReply(503, "5.5.1 Need MAIL before RCPT")) }
        guard transaction.content == .none else { return .reply(badSequence) }
        let address = rcpt.recipient.address
        if rcpt.hasParameters && !esmtp { return .reply(SMTPReply(555, "5.5.4 RCPT parameters need EHLO")) }
        if !transaction.mail.smtpUTF8 && !SMTPAddress.isASCII(address) {
            return .reply(SMTPReply(553, "5.6.7 Non-ASCII recipient address needs SMTPUTF8"))
        }
        if transaction.recipients.contains(where: { $0.address.lowercased() == address.lowercased() }) {
            return .reply(SMTPReply(250, "2.1.5 Ok (duplicate recipient ignored)"))
        }
        guard transaction.recipients.count < limits.maxRecipients else {
            return .reply(SMTPReply(452, "4.5.3 Too many recipients"))
        }
        state = .checkingRecipient(transaction, rcpt.recipient)
        return .checkRecipient(address, declaredSize: transaction.mail.size)
    }

    private mutating func dataCommand() -> Action {
        guard case .transaction(var transaction) = state else { return .reply(SMTPReply(503, "5.5.1 Need MAIL command")) }
        guard transaction.content == .none else { return .reply(SMTPReply(503, "5.5.1 DATA cannot follow BDAT")) }
        guard !transaction.recipients.isEmpty else { return .reply(SMTPReply(554, "5.5.1 No valid recipients")) }
        transaction.content = .data
        state = .receiving(transaction)
        return .receiveData(envelope(transaction), reply: SMTPReply(354, "End data with <CR><LF>.<CR><LF>"))
    }

    /// RFC 3030 §2–3.
    private mutating func bdatCommand(size: Int, last: Bool) -> Action {
        // A chunk larger than a whole message can never be taken, and its octets are too many to
        // read and throw away: refuse it and close, before any arithmetic on its size.
        guard size <= limits.maxMessageSize else {
            state = .closed
            return .close([SMTPReply(552, "5.3.4 BDAT chunk of \(size) octets exceeds the message size limit of \(limits.maxMessageSize) octets, closing")])
        }
        guard case .transaction(var transaction) = state else {
            return .discardChunk(size: size, reply: SMTPReply(503, "5.5.1 Need MAIL command"))
        }
        guard transaction.content != .data else { return .discardChunk(size: size, reply: badSequence) }
        guard !transaction.recipients.isEmpty else {
            return .discardChunk(size: size, reply: SMTPReply(554, "5.5.1 No valid recipients"))
        }
        let first = transaction.content == .none
        transaction.content = .chunks
        state = .receiving(transaction)
        return .receiveChunk(size: size, last: last, begin: first ? envelope(transaction) : nil)
    }

    private func envelope(_ transaction: Transaction) -> SMTPEnvelope {
        SMTPEnvelope(
            queueID: transaction.queueID, sender: transaction.mail.address, recipients: transaction.recipients,
            authenticatedUser: login ?? "", body: transaction.mail.body ?? .sevenBit, smtpUTF8: transaction.mail.smtpUTF8,
            ret: transaction.mail.ret, envelopeID: transaction.mail.envelopeID, requireTLS: transaction.mail.requireTLS,
            declaredSize: transaction.mail.size,
            clientIP: clientIP, heloName: heloName ?? "", tls: tlsInfo, receivedAt: Date()
        )
    }
}

/// What became of a received message.
public enum SMTPMessageOutcome: Sendable, Equatable {
    /// Stored durably: `250 2.0.0 Ok: queued as <id>`.
    case committed
    /// Refused for its content; nothing was stored.
    case rejected(SMTPContentRejection)
    /// The backend failed to store it (`451 4.3.0`); the text is for the log.
    case failed(String)
    /// The backend refused it for good (`SMTPStorageRefusal`); nothing was stored.
    case refused(SMTPReply)
}
