import NIOCore
import POP3

extension FuzzTargets {
    /// `POP3Parser.parseCommand` on one line (no line ending). Accepted commands have a keyword
    /// of ASCII letters and arguments within their ranges, and survive a re-encode and re-parse.
    public static func pop3Command(_ data: UnsafeRawBufferPointer) {
        let line = ByteBuffer(bytes: data)
        let command: POP3Command
        do {
            command = try POP3Parser.parseCommand(line)
        } catch {
            precondition(!error.reply.isEmpty && error.reply.isOneLine, "bad -ERR text: \(error.reply)")
            return
        }
        let keyword = data.prefix { $0 != UInt8(ascii: " ") }
        precondition(keyword.allSatisfy { (65...90).contains($0 & 0xDF) },
                     "a keyword with non-ASCII letters was accepted: \(Array(keyword))")
        switch command {
        case .user(let name): precondition(!name.isEmpty && !name.contains(" "))
        case .pass(let password): precondition(!password.isEmpty)
        case .list(let number?), .uidl(let number?), .retr(let number), .dele(let number):
            precondition(number >= 1 && number <= 999_999_999)
        case .top(let number, let lines):
            precondition(number >= 1 && number <= 999_999_999 && lines >= 0 && lines <= 999_999_999)
        default: break
        }
        let again = try? POP3Parser.parseCommand(ByteBuffer(string: encode(command)))
        precondition(again == command, "\(command) re-parsed as \(String(describing: again))")
    }

    static func encode(_ command: POP3Command) -> String {
        switch command {
        case .capa: "CAPA"
        case .stls: "STLS"
        case .user(let name): "USER \(name)"
        case .pass(let password): "PASS \(password)"
        case .auth(nil, _): "AUTH"
        case .auth(let mechanism?, nil): "AUTH \(mechanism)"
        case .auth(let mechanism?, let initial?): "AUTH \(mechanism) \(initial)"
        case .stat: "STAT"
        case .list(nil): "LIST"
        case .list(let number?): "LIST \(number)"
        case .retr(let number): "RETR \(number)"
        case .top(let number, let lines): "TOP \(number) \(lines)"
        case .uidl(nil): "UIDL"
        case .uidl(let number?): "UIDL \(number)"
        case .dele(let number): "DELE \(number)"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        }
    }

    /// `POP3Session` fed line by line, with every completion event the glue would deliver. Checks:
    /// every response line is `+OK`, `-ERR` or `+ ` and one line; a password is only checked over
    /// TLS or where plaintext is allowed; RETR/TOP never reach a deleted or missing message; the
    /// commit at QUIT deletes exactly the messages DELE accepted (and not after RSET).
    public static func pop3Session(_ data: UnsafeRawBufferPointer) {
        var input = SessionInput(data)
        var driver = POP3Driver(config: input.choice())
        driver.check(driver.session.greeting)
        var lines = Lines(input.stream)
        while !driver.session.isClosed, let line = lines.next() {
            driver.feed(line, &input)
        }
        driver.end(&input)
    }
}

struct POP3Driver {
    var session: POP3Session
    let allowPlaintext: Bool
    /// The maildrop as the session was given it, and the messages DELE accepted since the last RSET.
    var messages: [POP3MessageInfo]?
    var deleted: Set<Int> = []

    init(config: UInt8) {
        let modes: [POP3Session.TLSMode] = [.implicit, .startTLS, .none, .startTLS]
        allowPlaintext = config & 4 != 0
        var limits = POP3Limits()
        if config & 8 != 0 { limits.maxAuthFailures = 1 }
        session = POP3Session(configuration: .init(
            tlsMode: modes[Int(config & 3)], allowPlaintextAuth: allowPlaintext, limits: limits))
    }

    func check(_ response: String) {
        precondition(response == "+OK" || response.hasPrefix("+OK ") || response.hasPrefix("-ERR ") || response.hasPrefix("+ "),
                     "malformed POP3 response: \(response)")
        precondition(response.isOneLine, "POP3 response with a line break: \(response)")
    }

    mutating func feed(_ line: ArraySlice<UInt8>, _ input: inout SessionInput) {
        // LineFramer's limit counts the CRLF.
        if line.count + 2 > session.configuration.limits.maxLineLength {
            perform(session.lineTooLong(), command: nil, &input)
            return
        }
        let buffer = ByteBuffer(bytes: line)
        let command = messages == nil ? nil : try? POP3Parser.parseCommand(buffer)
        perform(session.lineReceived(buffer), command: command, &input)
    }

    mutating func perform(_ first: POP3Session.Action, command: POP3Command?, _ input: inout SessionInput) {
        var next: POP3Session.Action? = first
        while let action = next {
            next = nil
            switch action {
            case .none:
                break
            case .reply(let text):
                check(text)
                guard text.hasPrefix("+OK"), let messages else { break }
                switch command {
                case .dele(let number):
                    precondition(messages.indices.contains(number - 1) && !deleted.contains(number - 1),
                                 "DELE \(number) accepted for a missing or deleted message")
                    deleted.insert(number - 1)
                case .rset:
                    deleted = []
                default: break
                }
            case .replyMultiline(let first, let lines):
                check(first)
                precondition(first.hasPrefix("+OK"), "multi-line response that is not +OK: \(first)")
                for line in lines { precondition(line.isOneLine, "multi-line response line with a line break") }
            case .replyAndClose(let text):
                check(text)
                precondition(session.isClosed, "replyAndClose but the session is open")
            case .startTLS(let reply):
                check(reply)
                precondition(session.configuration.tlsMode == .startTLS && !session.tlsActive, "STLS offered where it must not be")
                if input.choice() % 8 == 7 {
                    session.connectionClosed()  // the handshake failed
                } else {
                    session.tlsEstablished()
                    precondition(session.tlsActive)
                }
            case .authenticate(let username, _):
                precondition(session.tlsActive || allowPlaintext, "password checked without TLS")
                precondition(messages == nil, "authentication after login")
                let result: POP3AuthResult = switch input.choice() % 4 {
                case 0, 1: .success(login: username.isEmpty ? "x@example.org" : username)
                case 2: .failure
                default: .temporaryFailure("database down")
                }
                next = session.authenticated(result)
            case .openMaildrop:
                let choice = input.choice()
                switch choice % 4 {
                case 0, 1:
                    let opened = (0..<Int(choice >> 2) % 6 + (choice == 0 ? 3 : 0)).map {
                        POP3MessageInfo(uniqueID: "uid\($0)", size: 100 + $0 * 37)
                    }
                    messages = opened
                    next = session.maildropOpened(.success(opened))
                case 2: next = session.maildropOpened(.failure(.inUse))
                default: next = session.maildropOpened(.failure(.unavailable("disk")))
                }
            case .retrieve(let index, let size, let topLines):
                guard let messages else { preconditionFailure("RETR before the maildrop was opened") }
                precondition(messages.indices.contains(index) && !deleted.contains(index), "RETR of a missing or deleted message")
                precondition(size == messages[index].size && (topLines ?? 0) >= 0)
                if input.choice() % 8 == 7 { next = session.retrieveFailed() }
            case .commitDeletions(let indices):
                precondition(!indices.isEmpty && indices == deleted.sorted(),
                             "commit of \(indices), DELE accepted \(deleted.sorted())")
                next = session.deletionsCommitted(success: input.choice() % 4 != 3)
            }
        }
    }

    mutating func end(_ input: inout SessionInput) {
        guard !session.isClosed else { return }
        switch input.choice() % 3 {
        case 0: session.connectionClosed()
        case 1: perform(session.idleTimeoutFired(), command: nil, &input)
        default: perform(session.serverShuttingDown(), command: nil, &input)
        }
        precondition(session.isClosed)
    }
}
