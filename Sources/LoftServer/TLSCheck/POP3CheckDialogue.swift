/// The POP3 side of a check (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS): the `+OK` greeting, `CAPA`
/// (a `+OK` line, then capability lines up to a line holding "."), `STLS`, `CAPA` again inside
/// TLS, `QUIT`.
struct POP3CheckDialogue: TLSCheckDialogue {
    private enum State {
        case greeting, capaStatus, capaLines, startTLS, quit, done
    }

    private(set) var transcript = TLSCheckTranscript()
    private(set) var saidGoodbye = false
    private var lines = TLSCheckLineBuffer()
    private var state = State.greeting
    private var tlsActive: Bool
    private var capaLines: [String] = []

    init(mode: TLSCheckMode) {
        tlsActive = mode == .implicit
    }

    var bufferedByteCount: Int { lines.bufferedByteCount }

    var awaiting: String {
        switch state {
        case .greeting: return "the greeting"
        case .capaStatus, .capaLines: return tlsActive ? "the CAPA answer after TLS" : "the CAPA answer"
        case .startTLS: return "the STLS answer"
        case .quit, .done: return "the QUIT answer"
        }
    }

    mutating func receive(_ bytes: [UInt8]) throws(TLSCheckDialogueError) -> [TLSCheckStep] {
        lines.append(bytes)
        var steps: [TLSCheckStep] = []
        while state != .done, let line = try lines.nextLine() {
            steps += try handle(line)
            if steps.contains(.startTLS) { break }
        }
        return steps
    }

    mutating func tlsEstablished() -> [TLSCheckStep] {
        // RFC 2595 §4: the client must discard the capabilities it had and ask again.
        tlsActive = true
        return command("CAPA", then: .capaStatus)
    }

    private mutating func handle(_ line: String) throws(TLSCheckDialogueError) -> [TLSCheckStep] {
        switch state {
        case .greeting:
            transcript.greeting = line
            if line.hasPrefix("+OK") { return command("CAPA", then: .capaStatus) }
            guard line.hasPrefix("-ERR") else {
                throw TLSCheckDialogueError(description: "the greeting is not a POP3 greeting: \"\(line.prefix(200))\"")
            }
            transcript.problem = "the server refused the session: \(line)"
            state = .done
            return [.finish]
        case .capaStatus:
            if line.hasPrefix("+OK") {
                capaLines = []
                state = .capaLines
                return []
            }
            // A server without CAPA (RFC 2449 is optional): nothing is known; STLS may still work.
            if tlsActive { return quit() }
            return command("STLS", then: .startTLS)
        case .capaLines:
            // RFC 1939 §3: a multi-line answer ends with "."; a leading "." of a line is doubled.
            guard line != "." else { return capabilitiesComplete() }
            capaLines.append(line.hasPrefix("..") ? String(line.dropFirst()) : line)
            return []
        case .startTLS:
            transcript.startTLSReply = line
            guard line.hasPrefix("+OK") else {
                transcript.problem = "the server refused STLS: \(line)"
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

    private mutating func capabilitiesComplete() -> [TLSCheckStep] {
        let capabilities = summary(capaLines)
        if tlsActive {
            transcript.afterTLS = capabilities
            return quit()
        }
        transcript.beforeTLS = capabilities
        guard capabilities.startTLS else { return quit() }
        return command("STLS", then: .startTLS)
    }

    private mutating func command(_ text: String, then next: State) -> [TLSCheckStep] {
        state = next
        return [.send(text, awaiting: awaiting)]
    }

    private mutating func quit() -> [TLSCheckStep] {
        saidGoodbye = true
        return command("QUIT", then: .quit)
    }

    /// RFC 2449 §6: a line is a capability tag and its arguments, e.g. "SASL PLAIN LOGIN", "USER", "STLS".
    private func summary(_ lines: [String]) -> TLSCheckCapabilities {
        var mechanisms: [String] = []
        var user = false
        var stls = false
        for line in lines {
            let words = line.split(separator: " ").map { $0.uppercased() }
            switch words.first {
            case "SASL": mechanisms += words.dropFirst()
            case "USER": user = true
            case "STLS": stls = true
            default: break
            }
        }
        var clear = TLSCheckCapabilities.clearTextMechanisms(mechanisms)
        if user { clear.insert("USER", at: 0) }
        return TLSCheckCapabilities(
            lines: lines, startTLS: stls, authMechanisms: mechanisms, plaintextLogins: clear, loginDisabled: nil,
            requireTLS: nil)
    }
}
