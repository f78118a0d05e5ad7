import LineProtocol
import NIOCore
import SMTP

extension FuzzTargets {
    /// `SMTPParser.parseCommand` on one line (no line ending). Error replies are well-formed;
    /// accepted commands have an ASCII verb, valid arguments, and survive a re-encode and re-parse.
    public static func smtpCommand(_ data: UnsafeRawBufferPointer) {
        let command: SMTPCommand
        do {
            command = try SMTPParser.parseCommand(ByteBuffer(bytes: data))
        } catch {
            checkSMTPReply(error.reply)
            precondition(error.reply.code >= 500, "a parse error that is not 5xx: \(error.reply)")
            return
        }
        let verb = data.prefix { $0 != UInt8(ascii: " ") }
        precondition(verb.allSatisfy { (65...90).contains($0 & 0xDF) }, "a verb with non-ASCII letters was accepted: \(Array(verb))")
        switch command {
        case .ehlo(let name), .helo(let name): precondition(!name.isEmpty && !name.contains(" "))
        case .bdat(let size, _): precondition(size >= 0)
        case .mail(let mail): precondition(mail.size.map { $0 >= 0 } ?? true)
        case .rcpt(let rcpt): precondition(!rcpt.recipient.address.isEmpty)
        default: break
        }
        let text = encode(command)
        let again = try? SMTPParser.parseCommand(ByteBuffer(string: text))
        precondition(again == command, "\(command) re-encoded as \(text) re-parsed as \(String(describing: again))")
    }

    static func encode(_ command: SMTPCommand) -> String {
        switch command {
        case .ehlo(let name): return "EHLO \(name)"
        case .helo(let name): return "HELO \(name)"
        case .mail(let mail):
            var text = "MAIL FROM:<\(mail.address)>"
            if let size = mail.size { text += " SIZE=\(size)" }
            if let body = mail.body { text += " BODY=\(body.rawValue)" }
            if mail.smtpUTF8 { text += " SMTPUTF8" }
            if let ret = mail.ret { text += " RET=\(ret)" }
            if let envelopeID = mail.envelopeID { text += " ENVID=\(envelopeID)" }
            if mail.hasParameters { text += " AUTH=<>" }  // accepted and ignored, marks parameters
            return text
        case .rcpt(let rcpt):
            var text = "RCPT TO:<\(rcpt.recipient.address)>"
            if let notify = rcpt.recipient.notify { text += " NOTIFY=" + notify.joined(separator: ",") }
            if let original = rcpt.recipient.originalRecipient { text += " ORCPT=\(original)" }
            return text
        case .data: return "DATA"
        case .bdat(let size, let last): return "BDAT \(size)" + (last ? " LAST" : "")
        case .rset: return "RSET"
        case .noop: return "NOOP"
        case .quit: return "QUIT"
        case .help: return "HELP"
        case .vrfy(let what): return "VRFY \(what)"
        case .startTLS: return "STARTTLS"
        case .auth(let mechanism, nil): return "AUTH \(mechanism)"
        case .auth(let mechanism, let initial?): return "AUTH \(mechanism) \(initial)"
        }
    }

    /// A reply is a 3-digit code and one-line texts; 4xx and 5xx replies (and any reply whose
    /// text starts like one) carry an enhanced status code of the same class (RFC 3463).
    static func checkSMTPReply(_ reply: SMTPReply) {
        precondition((200...599).contains(reply.code), "reply code \(reply.code)")
        precondition(!reply.lines.isEmpty)
        for line in reply.lines { precondition(line.isOneLine, "reply line with a line break: \(reply)") }
        let encoded = Array(reply.encoded.utf8)
        precondition(encoded.count >= 6 && encoded.suffix(2) == [13, 10])
        let text = reply.lines[0]
        let enhanced = enhancedStatusClass(text)
        if reply.code >= 400 {
            precondition(enhanced == reply.code / 100, "\(reply.code) without a matching enhanced status code: \(text)")
        } else if let enhanced {
            precondition(enhanced == reply.code / 100, "\(reply.code) with enhanced status code class \(enhanced)")
        }
    }

    /// The class digit of a leading `class.subject.detail` (RFC 3463 §2), or nil.
    static func enhancedStatusClass(_ text: String) -> Int? {
        let word = text.prefix { $0 != " " }
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let first = parts.first, ["2", "4", "5"].contains(first),
              parts.dropFirst().allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return Int(first)
    }

    /// `SMTPSession` over the client's byte stream, with DATA content read by `SMTPDataReceiver`
    /// and BDAT chunks by `SMTPChunkReader`, as the glue does. Checks: every reply is well-formed
    /// (`checkSMTPReply`); a password is only checked over TLS or where plaintext is allowed; a
    /// sender is only checked for the logged-in user; a message only starts with recipients,
    /// within the limit and without duplicates; STARTTLS forgets EHLO; a close closes.
    public static func smtpSession(_ data: UnsafeRawBufferPointer) {
        var input = SessionInput(data)
        var driver = SMTPDriver(config: input.choice(), stream: input.stream)
        checkSMTPReply(driver.session.greeting)
        driver.run(&input)
    }
}

struct SMTPDriver {
    var session: SMTPSession
    let allowPlaintext: Bool
    var buffer: ByteBuffer

    enum Reading {
        case commands
        case data(SMTPDataReceiver)
        case chunk(FixedLengthReader, last: Bool)
        case discard(FixedLengthReader, reply: SMTPReply)
    }

    var reading = Reading.commands
    /// The content checks of the message being received, as `SMTPMessageIntake` runs them.
    var checker: SMTPContentChecker?

    init(config: UInt8, stream: [UInt8]) {
        let modes: [SMTPSession.TLSMode] = [.implicit, .startTLS, .none, .startTLS]
        allowPlaintext = config & 4 != 0
        var limits = SMTPLimits()
        if config & 8 != 0 {
            limits.maxMessageSize = 300
            limits.maxRecipients = 2
            limits.maxTextLineLength = 40
            limits.maxAuthFailures = 1
        }
        if config & 16 != 0 { limits.maxCommandLineLength = 64 }
        session = SMTPSession(configuration: SMTPServerConfiguration(
            hostname: "mail.example.org", tlsMode: modes[Int(config & 3)], allowPlaintextAuth: allowPlaintext, limits: limits))
        session.clientIP = "192.0.2.1"
        buffer = ByteBuffer(bytes: stream)
    }

    var limits: SMTPLimits { session.configuration.limits }

    mutating func run(_ input: inout SessionInput) {
        loop: while !session.isClosed {
            switch reading {
            case .commands:
                guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { break loop }
                var line = buffer.readSlice(length: newline - buffer.readerIndex)!
                buffer.moveReaderIndex(forwardBy: 1)
                if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
                if line.readableBytes + 2 > limits.maxCommandLineLength {
                    perform(session.lineTooLong(), &input)
                } else {
                    perform(session.lineReceived(line), &input)
                }
            case .data(var receiver):
                var content = ByteBuffer()
                let done = receiver.consume(&buffer, into: &content)
                checker!.check(content)
                guard done else { break loop }
                reading = .commands
                finishMessage(&input)
            case .chunk(var reader, let last):
                if let bytes = reader.take(from: &buffer) { checker!.check(bytes) }
                reading = .chunk(reader, last: last)
                guard reader.isComplete else { break loop }
                reading = .commands
                if last || checker!.rejection != nil {
                    finishMessage(&input)
                } else {
                    perform(session.chunkReceived(size: reader.size), &input)
                }
            case .discard(var reader, let reply):
                _ = reader.take(from: &buffer)
                reading = .discard(reader, reply: reply)
                guard reader.isComplete else { break loop }
                reading = .commands
                perform(.reply(reply), &input)
            }
        }
        if !session.isClosed {
            switch input.choice() % 3 {
            case 0: session.connectionClosed()
            case 1: perform(session.idleTimeoutFired(), &input)
            default:
                perform(session.serverShuttingDown(), &input)
                if session.isFinishingMessage { perform(session.messageFinished(.committed), &input) }
            }
        }
        precondition(session.isClosed)
    }

    mutating func finishMessage(_ input: inout SessionInput) {
        checker!.finish()
        session.contentEnded()
        precondition(session.isFinishingMessage, "content ended but no message is being finished")
        let outcome: SMTPMessageOutcome
        if let rejection = checker!.rejection {
            outcome = .rejected(rejection)
        } else {
            switch input.choice() % 5 {
            case 3: outcome = .failed("disk full")
            case 4: outcome = .refused(SMTPReply(552, "5.2.2 Mailbox full"))
            default: outcome = .committed
            }
        }
        checker = nil
        perform(session.messageFinished(outcome), &input)
        precondition(!session.hasOpenMessage)
    }

    func checkEnvelope(_ envelope: SMTPEnvelope) {
        precondition(session.login != nil && envelope.authenticatedUser == session.login, "a message without login")
        precondition(!envelope.sender.isEmpty, "a message from the null sender")
        precondition(!envelope.recipients.isEmpty && envelope.recipients.count <= limits.maxRecipients,
                     "a message with \(envelope.recipients.count) recipients")
        precondition(Set(envelope.recipients.map { $0.address.lowercased() }).count == envelope.recipients.count,
                     "duplicate recipients")
    }

    mutating func perform(_ first: SMTPSession.Action, _ input: inout SessionInput) {
        var next: SMTPSession.Action? = first
        while let action = next {
            next = nil
            switch action {
            case .none:
                break
            case .reply(let reply):
                FuzzTargets.checkSMTPReply(reply)
            case .close(let replies):
                precondition(!replies.isEmpty)
                replies.forEach(FuzzTargets.checkSMTPReply)
                precondition(session.isClosed, "close but the session is open")
            case .startTLS(let reply):
                FuzzTargets.checkSMTPReply(reply)
                precondition(reply.code == 220)
                precondition(session.configuration.tlsMode == .startTLS && !session.tlsActive, "STARTTLS where it must not be")
                if input.choice() % 8 == 7 {
                    session.connectionClosed()  // the handshake failed
                } else {
                    session.tlsEstablished(TLSSessionInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256"))
                    precondition(session.tlsActive && session.heloName == nil, "STARTTLS did not forget the session")
                }
            case .authenticate(let username, _):
                precondition(session.tlsActive || allowPlaintext, "password checked without TLS")
                precondition(session.login == nil, "authentication after login")
                let result: SMTPAuthResult = switch input.choice() % 4 {
                case 0, 1: .success(login: username.isEmpty ? "x@example.org" : username)
                case 2: .failure
                default: .temporaryFailure("database down")
                }
                next = session.authenticated(result)
            case .checkSender(let address, let login):
                precondition(!address.isEmpty && login == session.login, "sender check without the login")
                next = session.senderChecked([.allowed, .allowed, .refused, .unavailable("aliases unreadable")][Int(input.choice() % 4)])
            case .checkRecipient:
                let result: SMTPRecipientCheck = switch input.choice() % 6 {
                case 0, 1: .local
                case 2: .remote
                case 3: .unknownLocal
                case 4: .mailboxFull
                default: .unavailable("quota")
                }
                next = session.recipientChecked(result)
            case .receiveData(let envelope, let reply):
                FuzzTargets.checkSMTPReply(reply)
                precondition(reply.code == 354)
                checkEnvelope(envelope)
                checker = SMTPContentChecker(maxMessageSize: limits.maxMessageSize, maxLineLength: limits.maxTextLineLength)
                reading = .data(SMTPDataReceiver())
            case .receiveChunk(let size, let last, let begin):
                precondition(size >= 0)
                if let begin {
                    precondition(checker == nil, "a second message began")
                    checkEnvelope(begin)
                    checker = SMTPContentChecker(maxMessageSize: limits.maxMessageSize, maxLineLength: limits.maxTextLineLength)
                } else {
                    precondition(checker != nil, "a chunk for no message")
                }
                reading = .chunk(FixedLengthReader(size: size), last: last)
            case .discardChunk(let size, let reply):
                FuzzTargets.checkSMTPReply(reply)
                precondition(size >= 0 && reply.code >= 500)
                reading = .discard(FixedLengthReader(size: size), reply: reply)
            }
            // A transaction that ended without its message (RSET, EHLO): the glue aborts it.
            if checker != nil && !session.hasOpenMessage { checker = nil }
        }
    }
}
