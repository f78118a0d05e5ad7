import Delivery

/// The SMTP side of a check (RFC 5321, RFC 3207): greeting, EHLO, STARTTLS, EHLO again inside TLS,
/// QUIT. Replies are read by Delivery's `SMTPReplyParser` and EHLO replies by `EHLOCapabilities`,
/// as the outbound queue reads them.
struct SMTPCheckDialogue: TLSCheckDialogue {
    private enum State {
        case greeting, ehlo, startTLS, quit, done
    }

    private(set) var transcript = TLSCheckTranscript()
    private(set) var saidGoodbye = false
    /// What the EHLO replies said, for callers that need more than the transcript (REQUIRETLS).
    private(set) var capabilitiesAfterTLS: EHLOCapabilities?
    private let heloName: String
    private let mode: TLSCheckMode
    private var parser = SMTPReplyParser()
    private var state = State.greeting
    private var tlsActive: Bool

    /// - Parameters:
    ///   - heloName: the name to greet with (the configured hostname).
    ///   - mode: implicit TLS starts the dialogue inside TLS.
    init(heloName: String, mode: TLSCheckMode) {
        self.heloName = heloName
        self.mode = mode
        self.tlsActive = mode == .implicit
    }

    var bufferedByteCount: Int { parser.bufferedByteCount }

    var awaiting: String {
        switch state {
        case .greeting: return "the greeting"
        case .ehlo: return tlsActive ? "the EHLO reply after TLS" : "the EHLO reply"
        case .startTLS: return "the STARTTLS reply"
        case .quit, .done: return "the QUIT reply"
        }
    }

    mutating func receive(_ bytes: [UInt8]) throws(TLSCheckDialogueError) -> [TLSCheckStep] {
        parser.append(bytes)
        var steps: [TLSCheckStep] = []
        while state != .done {
            let reply: SMTPClientReply?
            do {
                reply = try parser.nextReply()
            } catch {
                throw TLSCheckDialogueError(description: "\(awaiting) is not an SMTP reply: \(error)")
            }
            guard let reply else { break }
            steps += handle(reply)
            if steps.contains(.startTLS) { break }
        }
        return steps
    }

    mutating func tlsEstablished() -> [TLSCheckStep] {
        // RFC 3207 §4.2: the client discards what it learnt and sends EHLO again.
        tlsActive = true
        state = .ehlo
        return [.send("EHLO \(heloName)", awaiting: awaiting)]
    }

    private mutating func handle(_ reply: SMTPClientReply) -> [TLSCheckStep] {
        switch state {
        case .greeting:
            transcript.greeting = reply.text
            // RFC 5321 §3.1: anything but 220 (a 554) means the server will not talk.
            guard reply.code == 220 else {
                transcript.problem = "the server refused the session: \(reply.text)"
                return quit()
            }
            state = .ehlo
            return [.send("EHLO \(heloName)", awaiting: awaiting)]
        case .ehlo:
            guard reply.isPositive else {
                transcript.problem = "the server refused EHLO: \(reply.text)"
                return quit()
            }
            let capabilities = EHLOCapabilities(ehloReply: reply)
            let summary = TLSCheckCapabilities(
                lines: capabilities.raw, startTLS: capabilities.starttls, authMechanisms: capabilities.authMechanisms,
                plaintextLogins: TLSCheckCapabilities.clearTextMechanisms(capabilities.authMechanisms),
                loginDisabled: nil, requireTLS: capabilities.requireTLS)
            if tlsActive {
                transcript.afterTLS = summary
                capabilitiesAfterTLS = capabilities
                return quit()
            }
            transcript.beforeTLS = summary
            guard capabilities.starttls else { return quit() }
            state = .startTLS
            return [.send("STARTTLS", awaiting: awaiting)]
        case .startTLS:
            transcript.startTLSReply = reply.text
            guard reply.code == 220 else {
                transcript.problem = "the server refused STARTTLS: \(reply.text)"
                return quit()
            }
            state = .done
            return [.startTLS]
        case .quit:
            state = .done
            return [.finish]
        case .done:
            return []
        }
    }

    private mutating func quit() -> [TLSCheckStep] {
        state = .quit
        saidGoodbye = true
        return [.send("QUIT", awaiting: awaiting)]
    }
}
