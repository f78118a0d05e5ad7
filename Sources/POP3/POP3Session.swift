import Auth
import LineProtocol
import NIOCore

/// The POP3 session as a state machine (RFC 1939 §3): AUTHORIZATION → TRANSACTION → UPDATE.
///
/// Events go in (`lineReceived`, `tlsEstablished`, `authenticated`, ...) and each returns the one
/// action the channel glue must carry out. The glue feeds no new line while an action that
/// waits for a result (`authenticate`, `openMaildrop`, `retrieve`, `commitDeletions`) is running.
public struct POP3Session: Sendable {
    public typealias TLSMode = LineProtocol.TLSMode

    public struct Configuration: Sendable {
        public var tlsMode: TLSMode
        public var allowPlaintextAuth: Bool
        public var limits: POP3Limits

        public init(tlsMode: TLSMode, allowPlaintextAuth: Bool = false, limits: POP3Limits = POP3Limits()) {
            self.tlsMode = tlsMode
            self.allowPlaintextAuth = allowPlaintextAuth
            self.limits = limits
        }
    }

    public enum Action: Equatable, Sendable {
        case none
        /// Send one response line (CRLF is added by the glue).
        case reply(String)
        /// Send a first line, then the lines dot-stuffed, then ".".
        case replyMultiline(String, [String])
        case replyAndClose(String)
        /// Send "+OK Begin TLS negotiation", drop any buffered input, start TLS (RFC 2595 §4).
        case startTLS(reply: String)
        /// Check the password off the event loop, after the failure delay for this client.
        case authenticate(username: String, password: String)
        case openMaildrop(login: String)
        /// Send "+OK" then the message (or its headers and `topLines` body lines), dot-stuffed.
        case retrieve(index: Int, size: Int, topLines: Int?)
        /// Remove these messages durably, then answer QUIT (RFC 1939 §6, UPDATE state).
        case commitDeletions([Int])
    }

    enum State: Sendable {
        case authorization(pendingUser: String?)
        case saslExchange(SASLExchange)
        case authenticating
        case openingMaildrop(login: String)
        case transaction(messages: [POP3MessageInfo], deleted: Set<Int>)
        case update
        case closed
    }

    public let configuration: Configuration
    private(set) var state: State = .authorization(pendingUser: nil)
    public private(set) var tlsActive: Bool
    /// The logged-in user (canonical name), for logs.
    public private(set) var login: String?
    private var authFailures = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.tlsActive = configuration.tlsMode == .implicit
    }

    /// RFC 1939 §4.
    public var greeting: String { "+OK Loft POP3 server ready." }

    private var plaintextAuthAllowed: Bool { tlsActive || configuration.allowPlaintextAuth }

    private var canStartTLS: Bool {
        configuration.tlsMode == .startTLS && !tlsActive
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// True while a commit of deletions is under way: a shutdown waits for it.
    public var isCommitting: Bool {
        if case .update = state { return true }
        return false
    }

    // MARK: - Events

    public mutating func lineReceived(_ line: ByteBuffer) -> Action {
        if case .saslExchange(var exchange) = state {
            let step = exchange.receive(String(decoding: line.readableBytesView, as: UTF8.self))
            return saslStepped(step, exchange: exchange)
        }
        let command: POP3Command
        do {
            command = try POP3Parser.parseCommand(line)
        } catch {
            return .reply("-ERR \(error.reply)")
        }
        return commandReceived(command)
    }

    public mutating func lineTooLong() -> Action {
        if case .saslExchange = state {
            state = .authorization(pendingUser: nil)
            return .reply("-ERR Authentication response too long")
        }
        return .reply("-ERR Line too long (limit \(configuration.limits.maxLineLength) octets)")
    }

    /// After STARTTLS: everything learned before TLS is forgotten (RFC 2595 §4).
    public mutating func tlsEstablished() {
        tlsActive = true
        if case .authorization = state { state = .authorization(pendingUser: nil) }
    }

    public mutating func authenticated(_ result: POP3AuthResult) -> Action {
        guard case .authenticating = state else { return .none }
        switch result {
        case .success(let login):
            state = .openingMaildrop(login: login)
            return .openMaildrop(login: login)
        case .failure:
            authFailures += 1
            state = .authorization(pendingUser: nil)
            if authFailures >= configuration.limits.maxAuthFailures {
                state = .closed
                return .replyAndClose("-ERR [AUTH] Authentication failed. Too many failures, closing.")
            }
            return .reply("-ERR [AUTH] Authentication failed.")
        case .temporaryFailure:
            state = .authorization(pendingUser: nil)
            return .reply("-ERR [SYS/TEMP] Authentication is temporarily unavailable, try again later.")
        }
    }

    public mutating func maildropOpened(_ result: Result<[POP3MessageInfo], POP3MaildropError>) -> Action {
        guard case .openingMaildrop(let login) = state else { return .none }
        switch result {
        case .success(let messages):
            self.login = login
            state = .transaction(messages: messages, deleted: [])
            return .reply("+OK Logged in.")
        case .failure(.inUse):
            state = .closed
            return .replyAndClose("-ERR [IN-USE] Mailbox is locked by another POP3 session.")
        case .failure(.unavailable):
            state = .closed
            return .replyAndClose("-ERR [SYS/TEMP] Mailbox is temporarily unavailable.")
        }
    }

    public mutating func retrieveFailed() -> Action {
        .reply("-ERR [SYS/TEMP] Message could not be read.")
    }

    public mutating func deletionsCommitted(success: Bool) -> Action {
        guard case .update = state else { return .none }
        state = .closed
        return success
            ? .replyAndClose("+OK Logging out, messages deleted.")
            : .replyAndClose("-ERR [SYS/TEMP] Some deleted messages could not be removed.")
    }

    /// The client did not log in within the login timeout.
    public mutating func loginTimeoutFired() -> Action {
        state = .closed
        return .replyAndClose("-ERR Login timed out, closing.")
    }

    public mutating func idleTimeoutFired() -> Action {
        state = .closed
        return .replyAndClose("-ERR Disconnected for inactivity.")
    }

    /// A dropped connection: nothing is deleted (RFC 1939 §6).
    public mutating func connectionClosed() {
        state = .closed
    }

    /// The user already has as many sessions from this address as allowed.
    public mutating func tooManySessions() -> Action {
        state = .closed
        return .replyAndClose("-ERR [SYS/TEMP] Too many sessions for this user from your address.")
    }

    /// The client kept sending while its input was not being read.
    public mutating func tooMuchPipelinedInput() -> Action {
        state = .closed
        return .replyAndClose("-ERR Too much pipelined input.")
    }

    public mutating func serverShuttingDown() -> Action {
        state = .closed
        return .replyAndClose("-ERR [SYS/TEMP] Server shutting down.")
    }

    // MARK: - Commands

    private mutating func commandReceived(_ command: POP3Command) -> Action {
        switch (state, command) {
        case (.closed, _), (.update, _), (.authenticating, _), (.openingMaildrop, _), (.saslExchange, _):
            return .none
        case (_, .capa):
            return .replyMultiline("+OK Capability list follows", capabilities)
        case (_, .noop) where isTransaction:
            return .reply("+OK")
        case (.authorization, .quit):
            state = .closed
            return .replyAndClose("+OK Logging out.")
        case (.authorization, .stls):
            guard canStartTLS else {
                return .reply(tlsActive ? "-ERR TLS is already active." : "-ERR STLS is not offered on this port.")
            }
            state = .authorization(pendingUser: nil)
            return .startTLS(reply: "+OK Begin TLS negotiation now.")
        case (.authorization, .user(let name)):
            guard plaintextAuthAllowed else { return plaintextRefused }
            state = .authorization(pendingUser: name)
            return .reply("+OK")
        case (.authorization(let pendingUser), .pass(let password)):
            guard plaintextAuthAllowed else { return plaintextRefused }
            guard let pendingUser else { return .reply("-ERR No user name given: send USER first.") }
            state = .authenticating
            return .authenticate(username: pendingUser, password: password)
        case (.authorization, .auth(nil, _)):
            return .replyMultiline("+OK SASL mechanisms follow", SASLMechanism.allCases.map(\.rawValue))
        case (.authorization, .auth(let mechanism?, let initialResponse)):
            guard plaintextAuthAllowed else { return plaintextRefused }
            guard var exchange = SASLExchange(mechanism: mechanism) else {
                return .reply("-ERR Unsupported authentication mechanism.")
            }
            let step = exchange.start(initialResponse: initialResponse)
            return saslStepped(step, exchange: exchange)
        case (.authorization, _):
            return .reply("-ERR Not logged in: that command needs a login first.")
        case (.transaction, .stls):
            return .reply("-ERR STLS is only allowed before login.")
        case (.transaction, .user), (.transaction, .pass), (.transaction, .auth):
            return .reply("-ERR Already logged in.")
        case (.transaction(let messages, let deleted), _):
            return transactionCommand(command, messages: messages, deleted: deleted)
        }
    }

    private var isTransaction: Bool {
        if case .transaction = state { return true }
        return false
    }

    private var plaintextRefused: Action {
        .reply("-ERR [AUTH] Plaintext authentication is not allowed before STLS.")
    }

    private mutating func saslStepped(_ step: SASLStep, exchange: SASLExchange) -> Action {
        switch step {
        case .challenge(let text):
            state = .saslExchange(exchange)
            return .reply("+ \(text)")
        case .done(let credentials):
            state = .authenticating
            return .authenticate(username: credentials.username, password: credentials.password)
        case .cancelled:
            state = .authorization(pendingUser: nil)
            return .reply("-ERR Authentication cancelled.")
        case .malformed(let reason):
            state = .authorization(pendingUser: nil)
            return .reply("-ERR Malformed authentication response: \(reason).")
        case .rejected:
            state = .authorization(pendingUser: nil)
            return .reply("-ERR [AUTH] Authentication failed: acting as another user is not allowed.")
        }
    }

    /// RFC 2449 §5. USER and SASL are listed only where they may be used.
    private var capabilities: [String] {
        var lines = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        if case .authorization = state {
            if plaintextAuthAllowed {
                lines.append("USER")
                lines.append("SASL " + SASLMechanism.allCases.map(\.rawValue).joined(separator: " "))
            }
            if canStartTLS { lines.append("STLS") }
        }
        lines.append("IMPLEMENTATION Loft")
        return lines
    }

    private mutating func transactionCommand(
        _ command: POP3Command, messages: [POP3MessageInfo], deleted: Set<Int>
    ) -> Action {
        func lookup(_ number: Int) -> (index: Int, message: POP3MessageInfo)? {
            let index = number - 1
            guard messages.indices.contains(index), !deleted.contains(index) else { return nil }
            return (index, messages[index])
        }
        let noSuchMessage = Action.reply("-ERR No such message.")

        switch command {
        case .stat:
            let live = messages.indices.filter { !deleted.contains($0) }
            let octets = live.reduce(0) { $0 + messages[$1].size }
            return .reply("+OK \(live.count) \(octets)")
        case .list(nil):
            let live = messages.indices.filter { !deleted.contains($0) }
            return .replyMultiline("+OK \(live.count) messages", live.map { "\($0 + 1) \(messages[$0].size)" })
        case .list(let number?):
            guard let found = lookup(number) else { return noSuchMessage }
            return .reply("+OK \(number) \(found.message.size)")
        case .uidl(nil):
            let live = messages.indices.filter { !deleted.contains($0) }
            return .replyMultiline("+OK Unique-ID listing follows", live.map { "\($0 + 1) \(messages[$0].uniqueID)" })
        case .uidl(let number?):
            guard let found = lookup(number) else { return noSuchMessage }
            return .reply("+OK \(number) \(found.message.uniqueID)")
        case .retr(let number):
            guard let found = lookup(number) else { return noSuchMessage }
            return .retrieve(index: found.index, size: found.message.size, topLines: nil)
        case .top(let number, let lines):
            guard let found = lookup(number) else { return noSuchMessage }
            return .retrieve(index: found.index, size: found.message.size, topLines: lines)
        case .dele(let number):
            guard let found = lookup(number) else { return noSuchMessage }
            state = .transaction(messages: messages, deleted: deleted.union([found.index]))
            return .reply("+OK Message \(number) deleted.")
        case .rset:
            state = .transaction(messages: messages, deleted: [])
            return .reply("+OK \(messages.count) messages.")
        case .noop:
            return .reply("+OK")
        case .quit:
            if deleted.isEmpty {
                state = .closed
                return .replyAndClose("+OK Logging out.")
            }
            state = .update
            return .commitDeletions(deleted.sorted())
        case .capa, .stls, .user, .pass, .auth:
            return .none  // handled in commandReceived
        }
    }
}
