import Foundation

/// The client side of one SMTP connection delivering one message (RFC 5321 §3, §4), as a state machine
/// without sockets: replies and TLS events in, `SMTPClientAction`s out, and once finished an
/// `SMTPClientOutcome` with one result per recipient.
///
/// The conversation: greeting → EHLO (HELO when EHLO is not implemented) → STARTTLS and EHLO again when the
/// TLS mode asks for it → AUTH when credentials are given → local checks against what the server offers
/// (SIZE, SMTPUTF8, REQUIRETLS, BINARYMIME) → MAIL, RCPT..., DATA (one PIPELINING batch when offered) → the
/// message → QUIT. Every path that ends on a reply the server may still read ends with QUIT, and `.close`
/// after QUIT's reply; a 421, a reply that makes no sense at this point or a malformed reply closes at once.
///
/// Errors that concern the whole session (greeting, EHLO, STARTTLS, TLS policy, AUTH, a 4xx to MAIL) defer
/// every recipient with `tryNextHost` set, like Postfix, which then tries the next MX host. A session-level
/// deferral after a 5xx reply (a `554` greeting) reports the reply's status with class 4, since the
/// recipient has not failed: another host or a later attempt may take it.
public struct SMTPClientSession: Sendable {
    public let heloName: String
    public let message: OutboundMessage
    public let tlsMode: ClientTLSMode
    public let remoteHost: String
    private let credentials: ClientCredentials?

    /// Set once the session has finished: when QUIT is sent, or at once on a failure that closes.
    public private(set) var outcome: SMTPClientOutcome?
    /// What the last EHLO advertised; nil before it (and again after STARTTLS until the second EHLO);
    /// empty after a HELO.
    public private(set) var capabilities: EHLOCapabilities?
    /// TLS is up: implicit TLS from the start, or after `tlsEstablished()`.
    public private(set) var tlsActive: Bool
    /// A short transcript for logs and `loft check-tls`: `C: ` and `S: ` lines, AUTH data redacted, the
    /// message itself only as its size.
    public private(set) var transcript: [String] = []

    /// The most transcript lines kept, and the longest line; the rest is cut.
    static let transcriptLineLimit = 200
    static let transcriptLineLength = 300

    private enum Phase: Equatable {
        case greeting, ehlo, helo, startTLS
        /// `.startTLS` was returned; waiting for `tlsEstablished()` or `tlsRejected(reason:)`.
        case tlsHandshake
        case authPlain
        case authLoginUsername, authLoginPassword, authLoginResult
        /// MAIL, RCPT, DATA and the message: the replies owed are in `expected`.
        case transaction
        /// QUIT sent; its reply closes.
        case quit
        case closed
    }

    /// A command whose reply has not arrived yet.
    private enum Expected: Equatable {
        case mail
        case recipient(Int)
        case data
        /// The reply to the final "." after the message.
        case endOfData
        /// The reply to a "." sent at once after a 354 that came although no recipient was accepted.
        case bareDot
    }

    private var phase = Phase.greeting
    private var results: [RecipientResult?]
    private var expected: [Expected] = []
    /// Recipients the server accepted with a 2xx to RCPT, waiting for the reply to the message.
    private var accepted: [Int] = []
    /// Recipients whose RCPT has not been sent yet (without PIPELINING, one per reply).
    private var unsentRecipients: [Int] = []
    private var mailRefused = false
    /// The server said something definitive about a recipient or the message (or we failed it for a
    /// reason of this host); when false at the end, the caller may try the next host at once.
    private var decidedHere = false

    public init(
        heloName: String, message: OutboundMessage, tls: ClientTLSMode, credentials: ClientCredentials? = nil,
        remoteHost: String
    ) {
        self.heloName = heloName
        self.message = message
        self.tlsMode = tls
        self.credentials = credentials
        self.remoteHost = remoteHost
        self.tlsActive = tls == .implicit
        self.results = Array(repeating: nil, count: message.recipients.count)
    }

    // MARK: Events

    /// A complete reply from the server; the first one is the greeting.
    public mutating func receive(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        record("S: " + reply.text)
        switch phase {
        case .quit, .closed:
            // Whatever the server answers to QUIT (or says after we closed) ends the connection.
            phase = .closed
            return [.close]
        case .tlsHandshake:
            // A reply while the TLS handshake should be running was sent in plaintext before it: the
            // STARTTLS injection bug class (CVE-2011-0411). Never act on it.
            return unexpected(reply, after: "STARTTLS")
        default:
            break
        }
        // RFC 5321 §3.8: 421 means the server is closing the transmission channel; it will not read QUIT.
        if reply.code == 421 {
            deferUndecided(deferral(for: reply))
            return finish(quit: false)
        }
        switch phase {
        case .greeting: return greeting(reply)
        case .ehlo: return ehloReply(reply)
        case .helo: return heloReply(reply)
        case .startTLS: return startTLSReply(reply)
        case .authPlain, .authLoginResult: return authResult(reply)
        case .authLoginUsername, .authLoginPassword: return authLoginPrompt(reply)
        case .transaction: return transactionReply(reply)
        case .tlsHandshake, .quit, .closed: return []  // handled above
        }
    }

    /// The TLS handshake after STARTTLS succeeded and the policy accepted the peer. RFC 3207 §4.2: the client
    /// must discard what it learnt before TLS and send EHLO again. The glue must also discard any bytes it
    /// received before the handshake (start a new `SMTPReplyParser`).
    public mutating func tlsEstablished() -> [SMTPClientAction] {
        guard phase == .tlsHandshake else { return [] }
        record("TLS established")
        tlsActive = true
        capabilities = nil
        return sendEHLO()
    }

    /// The TLS handshake failed the policy (no usable certificate, DANE or MTA-STS mismatch): QUIT, defer
    /// every recipient with 4.7.5, and let the caller try the next host. When the handshake itself failed the
    /// QUIT cannot be sent: call this anyway for the status, then close; a `connectionLost` after it changes
    /// nothing.
    public mutating func tlsRejected(reason: String) -> [SMTPClientAction] {
        // Implicit TLS (port 465): the handshake comes before the greeting, so a rejected peer is never spoken to.
        let beforeGreeting = tlsMode == .implicit && phase == .greeting
        guard phase == .tlsHandshake || beforeGreeting else { return [] }
        record("TLS rejected: \(reason)")
        deferUndecided(local("4.7.5", reason))
        return finish(quit: !beforeGreeting)
    }

    /// The connection ended (EOF, reset, timeout) before the session finished: every recipient not yet
    /// decided is deferred with 4.4.2. A recipient accepted by RCPT is never reported delivered without the
    /// server's 2xx to the message.
    public mutating func connectionLost(reason: String) {
        record("connection lost: \(reason)")
        guard outcome == nil else {
            phase = .closed
            return
        }
        let during: String
        switch phase {
        case .greeting: during = "waiting for the greeting"
        case .ehlo, .helo: during = "waiting for the reply to EHLO/HELO"
        case .startTLS, .tlsHandshake: during = "starting TLS"
        case .authPlain, .authLoginUsername, .authLoginPassword, .authLoginResult: during = "authenticating"
        case .transaction:
            if expected.contains(.endOfData) {
                // RFC 5321 §4.1.1.4 / RFC 1047: the server may have stored the message already; a later
                // retry can duplicate it, which is the lesser evil.
                during = "sending the message or waiting for the reply to it"
            } else {
                during = "sending the envelope"
            }
        case .quit, .closed: during = "closing"
        }
        deferUndecided(local("4.4.2", "lost connection with \(remoteHost) while \(during): \(reason)"))
        _ = finish(quit: false)
    }

    /// The server's bytes were not a well-formed reply (`SMTPReplyParser` threw): the stream is out of step,
    /// so defer every recipient not yet decided and close at once.
    public mutating func replyError(_ error: SMTPReplyError) -> [SMTPClientAction] {
        record("bad reply: \(error)")
        guard outcome == nil else {
            phase = .closed
            return [.close]
        }
        deferUndecided(local("4.5.0", "\(error) from \(remoteHost)"))
        return finish(quit: false)
    }

    // MARK: Greeting, EHLO, STARTTLS

    private mutating func greeting(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        // RFC 5321 §3.1: a 554 greeting means "no SMTP service here"; the client should send QUIT. Postfix
        // then tries the next MX host, and so do we (with any other code that is not 220).
        guard reply.code == 220 else {
            deferUndecided(deferral(for: reply))
            return finish(quit: true)
        }
        return sendEHLO()
    }

    private mutating func sendEHLO() -> [SMTPClientAction] {
        phase = .ehlo
        return send(["EHLO \(heloName)"])
    }

    private mutating func ehloReply(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        if reply.isPositive {
            capabilities = EHLOCapabilities(ehloReply: reply)
            return afterHello()
        }
        // RFC 5321 §3.2: a server that does not know EHLO answers 500 or 502; then HELO, with no extensions.
        if reply.code == 500 || reply.code == 502 {
            phase = .helo
            return send(["HELO \(heloName)"])
        }
        deferUndecided(deferral(for: reply))
        return finish(quit: true)
    }

    private mutating func heloReply(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        guard reply.isPositive else {
            deferUndecided(deferral(for: reply))
            return finish(quit: true)
        }
        var none = EHLOCapabilities()
        none.serverName = String(reply.lines[0].prefix { $0 != " " })
        capabilities = none
        return afterHello()
    }

    /// After a successful EHLO/HELO: STARTTLS if the mode asks for it, then AUTH, then the transaction.
    private mutating func afterHello() -> [SMTPClientAction] {
        let offered = capabilities ?? EHLOCapabilities()
        if !tlsActive {
            switch tlsMode {
            case .opportunistic where offered.starttls, .required where offered.starttls:
                phase = .startTLS
                return send(["STARTTLS"])
            case .required:
                // Postfix reports the same case as 4.7.4; another MX host may offer STARTTLS.
                deferUndecided(local("4.7.4", "TLS is required, but \(remoteHost) does not offer STARTTLS"))
                return finish(quit: true)
            case .none, .opportunistic, .implicit:
                break
            }
        }
        if let credentials {
            // DESIGN.md: plaintext credentials are never sent; a smarthost without TLS is a configuration
            // error to fix, not a reason to bounce.
            guard tlsActive else {
                deferUndecided(local("4.7.0", "refusing to send credentials in plaintext to \(remoteHost)"))
                return finish(quit: true)
            }
            if offered.authMechanisms.contains("PLAIN") {
                // RFC 4616 §2: message = [authzid] NUL authcid NUL passwd; sent as the initial response
                // (RFC 4954 §4) to save a round trip.
                let response = Self.base64("\u{0}\(credentials.username)\u{0}\(credentials.password)")
                phase = .authPlain
                return send(["AUTH PLAIN \(response)"], shown: ["AUTH PLAIN <redacted>"])
            }
            if offered.authMechanisms.contains("LOGIN") {
                phase = .authLoginUsername
                return send(["AUTH LOGIN"])
            }
            deferUndecided(local(
                "4.7.0", "\(remoteHost) offers no AUTH mechanism Loft supports (PLAIN, LOGIN) for the configured credentials"))
            return finish(quit: true)
        }
        return startTransaction()
    }

    private mutating func startTLSReply(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        if reply.code == 220 {
            phase = .tlsHandshake
            return [.startTLS]
        }
        // RFC 3207 §4: a refused STARTTLS. Postfix in opportunistic mode goes on in plaintext when the server
        // still talks; we QUIT and defer (with tryNextHost) in both modes: the next host or the next attempt
        // gets a clean connection, and a server that offers STARTTLS and then refuses it is broken enough.
        deferUndecided(deferral(for: reply))
        return finish(quit: true)
    }

    // MARK: AUTH (RFC 4954)

    private mutating func authLoginPrompt(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        guard reply.code == 334, let credentials else { return authResult(reply) }
        if phase == .authLoginUsername {
            phase = .authLoginPassword
            return send([Self.base64(credentials.username)], shown: ["<redacted>"])
        }
        phase = .authLoginResult
        return send([Self.base64(credentials.password)], shown: ["<redacted>"])
    }

    private mutating func authResult(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        if reply.isPositive {
            return startTransaction()
        }
        if reply.code == 535 {
            // RFC 4954 §6: 535 5.7.8 "Authentication credentials invalid": permanent for every recipient.
            decidedHere = true
            failUndecided(FailureDetail(
                status: reply.enhancedStatus ?? "5.7.8", diagnostic: "smtp; " + reply.text, remoteHost: remoteHost))
            return finish(quit: true)
        }
        if reply.isTransientNegative || reply.isPermanentNegative {
            // Other refusals (454 temporary failure, 534 mechanism too weak, 538 encryption required) are
            // about the configuration, not the message: defer until the admin fixes it or the message expires.
            deferUndecided(deferral(for: reply))
            return finish(quit: true)
        }
        return unexpected(reply, after: "AUTH")
    }

    // MARK: The mail transaction (RFC 5321 §3.3)

    private mutating func startTransaction() -> [SMTPClientAction] {
        let undecided = results.indices.filter { results[$0] == nil }
        guard !undecided.isEmpty else { return finish(quit: true) }
        let offered = capabilities ?? EHLOCapabilities()

        // Checks of the message against this server, made before MAIL so nothing is half sent.
        if let limit = offered.size, limit > 0, message.size > limit {
            // RFC 1870 §6.2: a message larger than the declared maximum is not sent; 5.3.4 (RFC 3463).
            return failEverything(local(
                "5.3.4", "message size \(message.size) exceeds the limit of \(limit) bytes of \(remoteHost)"))
        }
        if message.needsSMTPUTF8, !offered.smtputf8 {
            // RFC 6531 §3.2: a message that needs SMTPUTF8 must not go to a server without it; 5.6.7 (RFC 6531 §3.5).
            return failEverything(local(
                "5.6.7", "the message needs SMTPUTF8 (non-ASCII addresses or headers), and \(remoteHost) does not support it"))
        }
        if message.bodyType == .binaryMIME {
            // RFC 3030 §3: BINARYMIME content may only be sent with BDAT, and this client does not send BDAT.
            let reason = offered.chunking && offered.binaryMIME
                ? "the message is BINARYMIME, and Loft does not relay it with BDAT"
                : "the message is BINARYMIME, and \(remoteHost) does not offer CHUNKING and BINARYMIME"
            return failEverything(local("5.6.3", reason))
        }
        if message.requireTLS, !(tlsActive && offered.requireTLS) {
            // RFC 8689 §5: every hop must use TLS and offer REQUIRETLS, or the message is returned with 5.7.30.
            let reason = tlsActive
                ? "the message requires TLS on every hop (REQUIRETLS), and \(remoteHost) does not offer REQUIRETLS"
                : "the message requires TLS on every hop (REQUIRETLS), and the connection to \(remoteHost) is not encrypted"
            return failEverything(local("5.7.30", reason))
        }

        let mail = mailCommand(offered)
        phase = .transaction
        if offered.pipelining {
            // RFC 2920 §3.1: MAIL, every RCPT and DATA in one batch; the replies come back in order.
            expected = [.mail] + undecided.map { .recipient($0) } + [.data]
            return send([mail] + undecided.map { rcptCommand($0, offered) } + ["DATA"])
        }
        unsentRecipients = undecided
        expected = [.mail]
        return send([mail])
    }

    /// RFC 5321 §4.1.1.2 with the parameters of the extensions the server offers.
    private func mailCommand(_ offered: EHLOCapabilities) -> String {
        var command = "MAIL FROM:<\(message.sender)>"
        if offered.size != nil { command += " SIZE=\(message.size)" }  // RFC 1870 §6
        // RFC 6152 §3: 8-bit content to a server without 8BITMIME should be converted or returned. Like
        // Postfix (and most MTAs) we send it as it is, without BODY=: practically every server accepts it.
        if message.bodyType == .eightBitMIME, offered.eightBitMIME { command += " BODY=8BITMIME" }
        if message.needsSMTPUTF8 { command += " SMTPUTF8" }  // RFC 6531 §3.4
        if message.requireTLS { command += " REQUIRETLS" }  // RFC 8689 §4.1
        if offered.dsn {
            // RFC 3461 §4.3, §4.4: passed on as stored (ENVID is still xtext).
            if let ret = message.ret { command += " RET=\(ret.rawValue)" }
            if let envid = message.envid { command += " ENVID=\(envid)" }
        }
        return command
    }

    /// RFC 5321 §4.1.1.3; NOTIFY and ORCPT (RFC 3461 §4.1, §4.2) only to a server that offers DSN. Without
    /// it the queue runner sends "relayed" notices itself.
    private func rcptCommand(_ index: Int, _ offered: EHLOCapabilities) -> String {
        let recipient = message.recipients[index]
        var command = "RCPT TO:<\(recipient.address)>"
        if offered.dsn {
            if let notify = recipient.notify, !notify.isEmpty {
                command += " NOTIFY=" + notify.map(\.rawValue).joined(separator: ",")
            }
            if let orcpt = recipient.orcpt { command += " ORCPT=\(orcpt)" }
        }
        return command
    }

    private mutating func transactionReply(_ reply: SMTPClientReply) -> [SMTPClientAction] {
        guard !expected.isEmpty else { return unexpected(reply, after: "the last command") }
        let step = expected.removeFirst()
        switch step {
        case .mail:
            if reply.isPositive {
                return expected.isEmpty ? sendNextRecipient() : []
            }
            guard reply.isTransientNegative || reply.isPermanentNegative else { return unexpected(reply, after: "MAIL") }
            mailRefused = true
            if reply.isPermanentNegative {
                decidedHere = true
                failUndecided(detail(for: reply))
            } else {
                // A 4xx to MAIL says nothing about the recipients: another host may take the message now.
                deferUndecided(detail(for: reply))
            }
            // With PIPELINING the RCPT and DATA replies (503 "need MAIL") are still to come.
            return expected.isEmpty ? finish(quit: true) : []

        case .recipient(let index):
            if mailRefused { return expected.isEmpty ? finish(quit: true) : [] }
            if reply.isPositive {
                accepted.append(index)
            } else if reply.isTransientNegative || reply.isPermanentNegative {
                decidedHere = true
                results[index] = reply.isTransientNegative ? .deferred(detail(for: reply)) : .failed(detail(for: reply))
            } else {
                return unexpected(reply, after: "RCPT")
            }
            return expected.isEmpty ? sendNextRecipient() : []

        case .data:
            let nothingToSend = mailRefused || accepted.isEmpty
            if reply.code == 354 {
                if nothingToSend {
                    // RFC 2920 §3.1: a 354 although no RCPT succeeded: end the empty message at once.
                    expected = [.bareDot]
                    return send(["."])
                }
                decidedHere = true
                expected = [.endOfData]
                record("C: <message, \(message.size) bytes>")
                return [.sendMessage]
            }
            // With PIPELINING and no recipient accepted, the 503/554 here is expected.
            if nothingToSend { return finish(quit: true) }
            guard reply.isTransientNegative || reply.isPermanentNegative else { return unexpected(reply, after: "DATA") }
            settleAccepted(reply)
            return finish(quit: true)

        case .endOfData:
            // RFC 5321 §4.2.5: the reply to the final "." is the server taking responsibility, or not, for
            // every accepted recipient at once.
            guard reply.isPositive || reply.isTransientNegative || reply.isPermanentNegative else {
                return unexpected(reply, after: "the end of the message")
            }
            settleAccepted(reply)
            return finish(quit: true)

        case .bareDot:
            return finish(quit: true)
        }
    }

    /// Without PIPELINING: the next RCPT, DATA after the last one, or QUIT when none was accepted.
    private mutating func sendNextRecipient() -> [SMTPClientAction] {
        let offered = capabilities ?? EHLOCapabilities()
        if !unsentRecipients.isEmpty {
            let index = unsentRecipients.removeFirst()
            expected = [.recipient(index)]
            return send([rcptCommand(index, offered)])
        }
        guard !accepted.isEmpty else { return finish(quit: true) }
        expected = [.data]
        return send(["DATA"])
    }

    /// The reply to DATA or to the message decides every recipient accepted by RCPT.
    private mutating func settleAccepted(_ reply: SMTPClientReply) {
        decidedHere = true
        for index in accepted where results[index] == nil {
            if reply.isPositive {
                results[index] = .delivered(reply)
            } else if reply.isTransientNegative {
                results[index] = .deferred(detail(for: reply))
            } else {
                results[index] = .failed(detail(for: reply))
            }
        }
    }

    // MARK: Endings

    /// A reply that makes no sense here: the conversation is out of step, so close at once.
    private mutating func unexpected(_ reply: SMTPClientReply, after command: String) -> [SMTPClientAction] {
        deferUndecided(local("4.5.0", "unexpected reply from \(remoteHost) to \(command): \(reply.text)"))
        return finish(quit: false)
    }

    /// Fails every recipient not yet decided for a reason of this host, then QUIT.
    private mutating func failEverything(_ detail: FailureDetail) -> [SMTPClientAction] {
        decidedHere = true
        failUndecided(detail)
        return finish(quit: true)
    }

    /// Sets the outcome, then QUIT (and `.close` after its reply) or `.close` at once.
    private mutating func finish(quit: Bool) -> [SMTPClientAction] {
        // Every path decides every recipient before it ends; this only guards against a path that forgets.
        deferUndecided(local("4.4.2", "the session with \(remoteHost) ended before this recipient was answered"))
        outcome = SMTPClientOutcome(recipients: results.map { $0! }, tryNextHost: !decidedHere)
        expected = []
        if quit {
            phase = .quit
            return send(["QUIT"])
        }
        phase = .closed
        return [.close]
    }

    // MARK: Helpers

    private mutating func deferUndecided(_ detail: FailureDetail) {
        for index in results.indices where results[index] == nil { results[index] = .deferred(detail) }
    }

    private mutating func failUndecided(_ detail: FailureDetail) {
        for index in results.indices where results[index] == nil { results[index] = .failed(detail) }
    }

    /// The failure a negative reply reports for the recipient it answers.
    private func detail(for reply: SMTPClientReply) -> FailureDetail {
        FailureDetail(status: reply.statusOrDefault, diagnostic: "smtp; " + reply.text, remoteHost: remoteHost)
    }

    /// The deferral a session-level reply causes: its status in class 4 (a `554 5.7.1` greeting defers as 4.7.1).
    private func deferral(for reply: SMTPClientReply) -> FailureDetail {
        FailureDetail(
            status: EnhancedStatus.withClass(4, reply.statusOrDefault), diagnostic: "smtp; " + reply.text,
            remoteHost: remoteHost)
    }

    private func local(_ status: String, _ reason: String) -> FailureDetail {
        FailureDetail(status: status, diagnostic: "X-Loft; " + reason, remoteHost: remoteHost)
    }

    private mutating func send(_ lines: [String], shown: [String]? = nil) -> [SMTPClientAction] {
        for line in shown ?? lines { record("C: " + line) }
        return [.send(lines)]
    }

    private mutating func record(_ line: String) {
        guard transcript.count < Self.transcriptLineLimit else { return }
        if transcript.count == Self.transcriptLineLimit - 1 {
            transcript.append("(transcript cut)")
            return
        }
        transcript.append(line.count > Self.transcriptLineLength ? String(line.prefix(Self.transcriptLineLength)) + "…" : line)
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
